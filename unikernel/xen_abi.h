/*
 * Xen's public ABI, from Xen's own headers (Debian: libxen-dev, installed
 * under /usr/include/xen; configure already requires it).
 *
 * Why not private copies of the few structs we use: start_info,
 * shared_info, vcpu_time_info, xencons_interface and friends are ABI, and
 * the only trustworthy source of their layout is Xen's header.  The headers
 * are plain C with no libc includes, so they are safe in a freestanding
 * build.  The interface version is pinned so that a newer header set
 * cannot silently change the ABI this code was written against.
 */
#ifndef CHAOS_UK_XEN_ABI_H
#define CHAOS_UK_XEN_ABI_H

#define __XEN_INTERFACE_VERSION__ 0x00040e00 /* Xen 4.14+ interface */

#include <stddef.h> /* offsetof, size_t: io/ring.h needs them */
#include <stdint.h>

/*
 * io/ring.h's barriers, which a guest must supply (interface versions
 * above 0x00030208).  As x86.h explains, x86 orders stores with stores and
 * loads with loads, so read and write barriers only stop the compiler; the
 * full barrier orders a store before a later load.  (Spelled out here, not
 * taken from x86.h, so this header stays free of CPU code.)
 */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/grant_table.h>
/* The split-driver rings; SHARED_RING_INIT calls memset (klib.h). */
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/blkif.h>

#endif
