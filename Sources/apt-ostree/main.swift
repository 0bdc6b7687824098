import AptOstreeCLI

AptOstreeMain.main()
