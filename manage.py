#!/usr/bin/env python
from sanpi.cli import main

if __name__ == "__main__":
    main()
