/* The whole of libostree's public API, and GLib/GIO through it. */
#include <ostree.h>
#include <gio/gio.h>
