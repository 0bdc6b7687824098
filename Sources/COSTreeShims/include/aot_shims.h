/*
 * Tiny C wrappers for the GLib/GObject macros and variadic functions that
 * Swift cannot import. Every symbol is prefixed aot_ (apt-ostree).
 */
#pragma once
#include <ostree.h>
#include <gio/gio.h>
#include <sys/xattr.h>

/* The string value of `key` in an a{sv} dictionary, or NULL; the result is
 * owned by the caller (g_free). */
char *aot_variant_lookup_string (GVariant *dict, const char *key);

/* The strv value (`as`) of `key` in an a{sv} dictionary, or NULL; owned by the
 * caller (g_strfreev). */
char **aot_variant_lookup_strv (GVariant *dict, const char *key);

/* The commit's metadata dictionary (child 0 of a commit variant), owned by the caller. */
GVariant *aot_commit_get_metadata (GVariant *commit);

/* A new GPtrArray that unrefs its GObject elements when freed. */
GPtrArray *aot_ptr_array_new_objects (void);

/* The text of every key of `keyfile`'s `group`, or NULL; owned by the caller. */
char **aot_key_file_get_string_list (GKeyFile *kf, const char *group, const char *key);
void aot_key_file_set_string_list (GKeyFile *kf, const char *group, const char *key,
                                   const char *const *list);

/* The boolean value of `key` in an a{sv} dictionary; `found` tells whether it was there. */
gboolean aot_variant_lookup_bool (GVariant *dict, const char *key, gboolean *found);

/* The paths (as in the tree, e.g. "/usr/bin/x") modified, removed and added from commit `from`
 * to commit `to`, below `subpath` ("usr") or everywhere when NULL. An added or removed folder
 * is one entry. Each list is a NULL-terminated strv to free with g_strfreev. */
gboolean aot_diff_commits (OstreeRepo *repo, const char *from, const char *to, const char *subpath,
                           char ***out_modified, char ***out_removed, char ***out_added, GError **error);
