import AptOstreeCLI
#if canImport(Glibc)
import Glibc
#endif

// Local files only: no GIO VFS modules (gvfs) in this process or in the engine it may exec.
setenv("GIO_USE_VFS", "local", 1)

AptOstreeMain.main()
