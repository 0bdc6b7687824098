import AptOstreeCore
import AptOstreeModel
import Testing

@Suite struct KernelArgsEditTests {
    let base = "root=LABEL=r rw console=ttyS0 console=tty0 ostree=/ostree/boot.1/debian/x/0 loglevel=3"

    func apply(_ edit: (inout KernelArgsChange.Request) -> Void) throws -> String {
        var r = KernelArgsChange.Request()
        edit(&r)
        return try KernelArgsChange.apply(r, to: base)
    }

    @Test func appendKeepsEarlierValuesOfTheSameKey() throws {
        #expect(try apply { $0.append = ["console=ttyS1", "quiet"] }
                == "root=LABEL=r rw console=ttyS0 console=tty0 ostree=/ostree/boot.1/debian/x/0 loglevel=3 console=ttyS1 quiet")
    }

    @Test func appendIfMissingIsANoOpForPresentArguments() throws {
        #expect(try apply { $0.appendIfMissing = ["rw"] } == base)
        #expect(try apply { $0.appendIfMissing = ["quiet"] }.hasSuffix(" quiet"))
    }

    @Test func deleteRemovesOnePairOrASingleValuedKey() throws {
        #expect(try apply { $0.delete = ["console=tty0"] } == "root=LABEL=r rw console=ttyS0 ostree=/ostree/boot.1/debian/x/0 loglevel=3")
        #expect(try apply { $0.delete = ["rw"] } == "root=LABEL=r console=ttyS0 console=tty0 ostree=/ostree/boot.1/debian/x/0 loglevel=3")
        #expect(throws: (any Error).self) { try apply { $0.delete = ["console"] } }
        #expect(throws: (any Error).self) { try apply { $0.delete = ["nosuch"] } }
    }

    @Test func deleteIfPresentIgnoresMissingArguments() throws {
        #expect(try apply { $0.deleteIfPresent = ["nosuch"] } == base)
        #expect(try apply { $0.deleteIfPresent = ["rw"] } == "root=LABEL=r console=ttyS0 console=tty0 ostree=/ostree/boot.1/debian/x/0 loglevel=3")
    }

    @Test func replaceTakesKeyValueAndKeyOldNew() throws {
        #expect(try apply { $0.replace = ["loglevel=7"] }.hasSuffix(" loglevel=7"))
        #expect(try apply { $0.replace = ["console=tty0=tty1"] }
                == "root=LABEL=r rw console=ttyS0 console=tty1 ostree=/ostree/boot.1/debian/x/0 loglevel=3")
        // libostree reads KEY=A=B as KEY, OLD=A, NEW=B: a value with '=' cannot be replaced this way.
        #expect(throws: (any Error).self) { try apply { $0.replace = ["root=LABEL=other"] } }
        #expect(throws: (any Error).self) { try apply { $0.replace = ["console=tty1"] } }
        #expect(throws: (any Error).self) { try apply { $0.replace = ["console=tty9=tty1"] } }
    }

    @Test(arguments: ["", "=x", "a b", "a\nb", "x=\"open", "ostree=/elsewhere"])
    func malformedArgumentsAreRefusedWithTheirName(_ arg: String) {
        do {
            _ = try apply { $0.append = [arg] }
            Issue.record("accepted \(arg.debugDescription)")
        } catch let e as AptOstreeError {
            #expect(e.code == .invalidArgument)
            #expect(e.message.contains("--append"))
            #expect(!e.message.contains("\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func quotedSpacesAreOneArgument() throws {
        #expect(try apply { $0.append = ["dyndbg=\"file a.c +p\""] }.contains("dyndbg=\"file a.c +p\""))
    }

    @Test func finalArgsFromTheEditorKeepLibostreesArgument() throws {
        #expect(try apply { $0.finalArgs = "root=LABEL=r\nquiet\n" } == "root=LABEL=r quiet ostree=/ostree/boot.1/debian/x/0")
        #expect(throws: AptOstreeError.self) { try apply { $0.finalArgs = "   " } }
        #expect(throws: AptOstreeError.self) { try apply { $0.finalArgs = "ostree=/x quiet" } }
    }
}
