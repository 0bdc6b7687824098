/* GLib, GObject and GIO (GDBus) without libostree: what the thin client links. */
#include <gio/gio.h>
#include <glib-unix.h>
