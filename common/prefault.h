/*
 * prefault.h - ask the kernel for a fresh array's pages all at once.
 *
 * Memory from malloc() is only promised: each 4 KiB page is given at the
 * first write to it, through a page fault.  On a virtual machine a fault
 * is a trip through the hypervisor, and a cold SELECT of 10,000 messages
 * writes about 250 fresh pages of arrays.  madvise(2) with
 * MADV_POPULATE_WRITE (Linux 5.14) sets up a whole range in one system
 * call instead; measured on the bench machine, 1 MiB costs about 0.6 ms
 * that way against about 3 ms a page fault at a time.
 */
#ifndef MAILLAB_PREFAULT_H
#define MAILLAB_PREFAULT_H

#include <stddef.h>

/**
 * Make the whole pages inside @p len bytes at @p start present and
 * writable now.  Only a hint: on an older kernel, or on any error, the
 * pages are simply faulted in later, as they would have been.  Meant for
 * memory that is about to be written from end to end.
 */
void prefault(void *start, size_t len);

#endif
