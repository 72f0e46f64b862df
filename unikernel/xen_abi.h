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

#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/arch-x86/hvm/start_info.h>

#endif
