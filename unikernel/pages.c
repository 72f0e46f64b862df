/* The page pool and frame numbers; see pages.h. */
#include "pages.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "klib.h"
#include "x86.h"

static uint8_t pool[PAGES_POOL][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static bool taken[PAGES_POOL];

void *page_alloc(void)
{
    unsigned i;

    for (i = 0; i < PAGES_POOL; i++) {
        if (!taken[i]) {
            taken[i] = true;
            memset(pool[i], 0, PAGE_SIZE);
            return pool[i];
        }
    }
    kprintf("pages: the pool of %u pages is exhausted\n", PAGES_POOL);
    return NULL;
}

void page_free(void *page)
{
    uintptr_t offset = (uintptr_t)page - (uintptr_t)pool;

    if (page != NULL && offset < sizeof(pool))
        taken[offset / PAGE_SIZE] = false;
}

unsigned long page_frame(const void *page)
{
    const struct boot_info *boot = kernel_boot_info();
    /* Both modes map guest frame N at virtual N * 4096 (boot.S). */
    unsigned long pfn = (uintptr_t)page >> PAGE_SHIFT;

    if (!boot->pv)
        return pfn;
    if (boot->p2m == NULL || pfn >= boot->nr_pages)
        return 0;
    return boot->p2m[pfn];
}
