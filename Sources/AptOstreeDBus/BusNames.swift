/// Names of the apt-ostree D-Bus API (modelled on rpm-ostree's org.projectatomic.rpmostree1).
public enum BusNames {
    /// The well-known bus name the daemon owns.
    public static let service = "org.debian.aptostree1"
    /// The Sysroot object.
    public static let sysrootPath = "/org/debian/aptostree1/Sysroot"
    /// Interfaces.
    public static let sysrootInterface = "org.debian.aptostree1.Sysroot"
    public static let osInterface = "org.debian.aptostree1.OS"
    public static let transactionInterface = "org.debian.aptostree1.Transaction"
    /// Where transaction objects live: `<prefix>/<n>`.
    public static let transactionPathPrefix = "/org/debian/aptostree1/Transaction"

    /// The OS object path of a stateroot; like rpm-ostree, characters outside [A-Za-z0-9_]
    /// become `_`.
    public static func osPath(_ osname: String) -> String {
        "/org/debian/aptostree1/" + String(osname.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }
}

/// The introspection data the daemon registers and ships as data/org.debian.aptostree1.xml.
public enum Introspection {
    public static let xml = """
        <node>
          <interface name="org.debian.aptostree1.Sysroot">
            <property name="Booted" type="o" access="read"/>
            <property name="Path" type="s" access="read"/>
            <property name="ActiveTransaction" type="(sss)" access="read"/>
            <property name="ActiveTransactionPath" type="s" access="read"/>
            <property name="Deployments" type="aa{sv}" access="read"/>
            <property name="AutomaticUpdatePolicy" type="s" access="read"/>
            <method name="GetStatus">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="status_json" direction="out"/>
            </method>
            <method name="Ping"/>
            <method name="Reload"/>
            <method name="ReloadConfig"/>
            <method name="GetOS">
              <arg type="s" name="name" direction="in"/>
              <arg type="o" name="object_path" direction="out"/>
            </method>
          </interface>
          <interface name="org.debian.aptostree1.OS">
            <property name="Name" type="s" access="read"/>
            <method name="Rollback">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="DeployCommit">
              <arg type="s" name="revision" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="ModifyKernelArgs">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="SetInitramfsState">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="InitramfsEtc">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="PreviewKernelArgs">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="s" name="current" direction="out"/>
              <arg type="s" name="result" direction="out"/>
            </method>
            <method name="PkgChange">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="OverrideChange">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="RefreshMd">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="GetPackages">
              <arg type="s" name="revision" direction="in"/>
              <arg type="s" name="packages_json" direction="out"/>
            </method>
            <method name="Search">
              <arg type="as" name="terms" direction="in"/>
              <arg type="as" name="matches" direction="out"/>
            </method>
            <method name="Info">
              <arg type="as" name="names" direction="in"/>
              <arg type="s" name="records" direction="out"/>
            </method>
            <method name="AutomaticUpdateTrigger">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="UpgradeSystem">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="Rebase">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="Reset">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="ApplyLive">
              <arg type="a{sv}" name="options" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="ModifyRemote">
              <arg type="a{sv}" name="request" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
            <method name="ListRemotes">
              <arg type="s" name="remotes_json" direction="out"/>
            </method>
            <method name="GetHistory">
              <arg type="s" name="history_json" direction="out"/>
            </method>
            <method name="Cleanup">
              <arg type="as" name="elements" direction="in"/>
              <arg type="s" name="transaction_address" direction="out"/>
            </method>
          </interface>
          <interface name="org.debian.aptostree1.Transaction">
            <property name="Title" type="s" access="read"/>
            <property name="InitiatingClientDescription" type="s" access="read"/>
            <method name="Start">
              <arg type="b" name="started" direction="out"/>
            </method>
            <method name="Cancel"/>
            <signal name="Finished">
              <arg name="success" type="b"/>
              <arg name="error_message" type="s"/>
            </signal>
            <signal name="Message">
              <arg name="text" type="s"/>
            </signal>
            <signal name="TaskBegin">
              <arg name="text" type="s"/>
            </signal>
            <signal name="TaskEnd">
              <arg name="text" type="s"/>
            </signal>
            <signal name="PercentProgress">
              <arg name="text" type="s"/>
              <arg name="percentage" type="u"/>
            </signal>
            <signal name="DownloadProgress">
              <arg name="time" type="(tt)"/>
              <arg name="outstanding" type="(uu)"/>
              <arg name="metadata" type="(uuu)"/>
              <arg name="delta" type="(uuut)"/>
              <arg name="content" type="(uu)"/>
              <arg name="transfer" type="(tt)"/>
            </signal>
            <signal name="ProgressEnd"/>
          </interface>
        </node>
        """
}
