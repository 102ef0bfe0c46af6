from localocean.cli import main

main()
