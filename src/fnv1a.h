/*
 * fnv1a.h - FNV-1a 64, the one hash of brainsim: the experiment's
 * config_hash in checkpoints (checkpoint.h) and the checksum of the
 * winners that `brainsim run` prints (bs_winners_checksum).  Not a
 * cryptographic hash: it detects changes, not attacks.
 */
#ifndef BS_FNV1A_H
#define BS_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"

#define BS_FNV1A_INIT BS_CHECKSUM_INIT     /* FNV-1a 64's offset basis */

/* Folds n_bytes at data into h (start with BS_FNV1A_INIT) and returns the
 * new hash.  data may be NULL when n_bytes is 0.  Can't fail. */
static inline uint64_t bs_fnv1a(uint64_t h, const void *data, size_t n_bytes)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n_bytes; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

#endif /* BS_FNV1A_H */
