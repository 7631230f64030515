from separ.cli import main

main()
