from phusong.cli import main

main()
