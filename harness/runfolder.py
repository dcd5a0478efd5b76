#!/usr/bin/env python3
"""runfolder.py: what producers of run folders do with files that come
from somewhere less trusted than root (an unprivileged run, a container, a
sandbox, an emulator).

  runfolder.py take SRC DST [MAX_MIB]
      Copy SRC to DST only if SRC is a regular file, opened without
      following a symlink (O_NOFOLLOW) and no larger than MAX_MIB (default
      256).  DST is created anew (O_EXCL, mode 0644).  Exit 0 copied; 2 with
      one line when SRC is missing, a symlink, not regular, too large, or DST
      cannot be written.

Python 3 standard library only.
"""
import os
import stat
import sys


def die(msg):
    print("runfolder: error: " + msg, file=sys.stderr)
    sys.exit(2)


def take(src, dst, max_mib=256):
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        die("%s: cannot open without following links: %s" % (src, e.strerror))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            die("%s: not a regular file" % src)
        if st.st_size > max_mib << 20:
            die("%s: %d bytes, more than %d MiB" % (src, st.st_size, max_mib))
        try:
            out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                          os.O_NOFOLLOW, 0o644)
        except OSError as e:
            die("%s: cannot create: %s" % (dst, e.strerror))
        try:
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                os.write(out, b)
        except OSError as e:
            die("%s -> %s: %s" % (src, dst, e.strerror))
        finally:
            os.close(out)
    finally:
        os.close(fd)


def main(argv):
    if len(argv) in (3, 4) and argv[0] == "take":
        mib = 256
        if len(argv) == 4:
            if not argv[3].isdigit():
                die("MAX_MIB must be a whole number")
            mib = int(argv[3])
        take(argv[1], argv[2], mib)
        return 0
    die("usage: runfolder.py take SRC DST [MAX_MIB]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
