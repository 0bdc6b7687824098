#include "aot_shims.h"

char *
aot_variant_lookup_string (GVariant *dict, const char *key)
{
  const char *s = NULL;
  if (dict == NULL || !g_variant_lookup (dict, key, "&s", &s))
    return NULL;
  return g_strdup (s);
}

char **
aot_variant_lookup_strv (GVariant *dict, const char *key)
{
  char **v = NULL;
  if (dict == NULL || !g_variant_lookup (dict, key, "^as", &v))
    return NULL;
  return v;
}

GVariant *
aot_commit_get_metadata (GVariant *commit)
{
  return g_variant_get_child_value (commit, 0);
}

GPtrArray *
aot_ptr_array_new_objects (void)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

char **
aot_key_file_get_string_list (GKeyFile *kf, const char *group, const char *key)
{
  return g_key_file_get_string_list (kf, group, key, NULL, NULL);
}

void
aot_key_file_set_string_list (GKeyFile *kf, const char *group, const char *key,
                              const char *const *list)
{
  gsize n = list ? g_strv_length ((char **)list) : 0;
  g_key_file_set_string_list (kf, group, key, list, n);
}

gboolean
aot_variant_lookup_bool (GVariant *dict, const char *key, gboolean *found)
{
  gboolean v = FALSE;
  *found = dict != NULL && g_variant_lookup (dict, key, "b", &v);
  return v;
}

static char **
aot_paths_of_files (GPtrArray *files)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (out, g_file_get_path (files->pdata[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

gboolean
aot_diff_commits (OstreeRepo *repo, const char *from, const char *to, const char *subpath,
                  char ***out_modified, char ***out_removed, char ***out_added, GError **error)
{
  g_autoptr(GFile) a = NULL;
  g_autoptr(GFile) b = NULL;
  if (!ostree_repo_read_commit (repo, from, &a, NULL, NULL, error))
    return FALSE;
  if (!ostree_repo_read_commit (repo, to, &b, NULL, NULL, error))
    return FALSE;
  g_autoptr(GFile) sa = subpath ? g_file_resolve_relative_path (a, subpath) : g_object_ref (a);
  g_autoptr(GFile) sb = subpath ? g_file_resolve_relative_path (b, subpath) : g_object_ref (b);
  g_autoptr(GPtrArray) modified = g_ptr_array_new_with_free_func ((GDestroyNotify) ostree_diff_item_unref);
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  if (!ostree_diff_dirs (OSTREE_DIFF_FLAGS_NONE, sa, sb, modified, removed, added, NULL, error))
    return FALSE;
  GPtrArray *mod = g_ptr_array_new ();
  for (guint i = 0; i < modified->len; i++)
    g_ptr_array_add (mod, g_file_get_path (((OstreeDiffItem *) modified->pdata[i])->target));
  g_ptr_array_add (mod, NULL);
  *out_modified = (char **) g_ptr_array_free (mod, FALSE);
  *out_removed = aot_paths_of_files (removed);
  *out_added = aot_paths_of_files (added);
  return TRUE;
}
