/*
 * Small C helpers for GDBus calls whose GVariant formats Swift cannot build with
 * g_variant_new's varargs. Every symbol is prefixed aot_.
 */
#pragma once
#include <gio/gio.h>

/* org.freedesktop.DBus.GetConnectionUnixUser for `sender`. */
gboolean aot_bus_get_unix_user (GDBusConnection *bus, const char *sender, guint32 *out_uid,
                                GError **error);

/* org.freedesktop.PolicyKit1.Authority.CheckAuthorization for the bus name `sender`
 * and `action_id`, allowing interaction. Returns FALSE with `error` set when polkit could not
 * be asked; otherwise sets `out_authorized` and `out_challenge`. */
gboolean aot_polkit_check (GDBusConnection *bus, const char *sender, const char *action_id,
                           gboolean *out_authorized, gboolean *out_challenge, GError **error);

/* (s) */
GVariant *aot_tuple_s (const char *s);
/* (b) */
GVariant *aot_tuple_b (gboolean b);
/* (o) */
GVariant *aot_tuple_o (const char *path);
/* (bs) */
GVariant *aot_tuple_bs (gboolean b, const char *s);
/* (su): text and a figure (PercentProgress). */
GVariant *aot_tuple_su (const char *s, guint32 u);
/* (ss) */
GVariant *aot_tuple_ss (const char *a, const char *b);
/* (sss) */
GVariant *aot_tuple_sss (const char *a, const char *b, const char *c);

/* Reads a string child `index` of a tuple; NULL when it is not a string. Borrowed. */
const char *aot_tuple_get_string (GVariant *tuple, gsize index);
