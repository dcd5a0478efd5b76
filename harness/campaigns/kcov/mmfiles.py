"""mmfiles: the mm/ files whose coverage the kernel-coverage campaign
tables (harness/campaigns/kcov/report, capture).  Python 3 stdlib only."""

FILES = ["mm/mmap.c", "mm/vma.c", "mm/memory.c", "mm/mprotect.c",
         "mm/mremap.c", "mm/madvise.c", "mm/msync.c", "mm/mlock.c",
         "mm/mincore.c", "mm/filemap.c", "mm/shmem.c", "mm/huge_memory.c",
         "mm/util.c", "mm/gup.c"]
UNREACHED_FILES = ["mm/mmap.c", "mm/mprotect.c", "mm/mremap.c",
                   "mm/madvise.c"]


def rel(path):
    i = path.rfind("/mm/")
    return path[i + 1:] if i >= 0 else path
