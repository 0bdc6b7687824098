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
