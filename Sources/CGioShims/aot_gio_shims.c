#include "aot_gio_shims.h"

gboolean
aot_bus_get_unix_user (GDBusConnection *bus, const char *sender, guint32 *out_uid, GError **error)
{
  g_autoptr (GVariant) r = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixUser", g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (r == NULL)
    return FALSE;
  g_variant_get (r, "(u)", out_uid);
  return TRUE;
}

gboolean
aot_polkit_check (GDBusConnection *bus, const char *sender, const char *action_id,
                  gboolean *out_authorized, gboolean *out_challenge, GError **error)
{
  GVariantBuilder subject_details;
  g_variant_builder_init (&subject_details, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&subject_details, "{sv}", "name", g_variant_new_string (sender));
  GVariantBuilder details;
  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{ss}"));
  /* flags: 0x1 = AllowUserInteraction */
  g_autoptr (GVariant) r = g_dbus_connection_call_sync (
      bus, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
      "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
      g_variant_new ("((sa{sv})sa{ss}us)", "system-bus-name", &subject_details, action_id,
                     &details, (guint32)1, ""),
      G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, 5 * 60 * 1000, NULL, error);
  if (r == NULL)
    return FALSE;
  g_variant_get (r, "((bb@a{ss}))", out_authorized, out_challenge, NULL);
  return TRUE;
}

GVariant *aot_tuple_s (const char *s) { return g_variant_new ("(s)", s); }
GVariant *aot_tuple_b (gboolean b) { return g_variant_new ("(b)", b); }
GVariant *aot_tuple_o (const char *path) { return g_variant_new ("(o)", path); }
GVariant *aot_tuple_bs (gboolean b, const char *s) { return g_variant_new ("(bs)", b, s); }
GVariant *aot_tuple_su (const char *s, guint32 u) { return g_variant_new ("(su)", s, u); }
GVariant *aot_tuple_ss (const char *a, const char *b) { return g_variant_new ("(ss)", a, b); }
GVariant *aot_tuple_sss (const char *a, const char *b, const char *c)
{
  return g_variant_new ("(sss)", a, b, c);
}

const char *
aot_tuple_get_string (GVariant *tuple, gsize index)
{
  if (!g_variant_is_of_type (tuple, G_VARIANT_TYPE_TUPLE) || index >= g_variant_n_children (tuple))
    return NULL;
  g_autoptr (GVariant) child = g_variant_get_child_value (tuple, index);
  if (!g_variant_is_of_type (child, G_VARIANT_TYPE_STRING) && !g_variant_is_of_type (child, G_VARIANT_TYPE_OBJECT_PATH))
    return NULL;
  return g_variant_get_string (child, NULL);
}
