/* test_philox.c - Philox4x32-10 against Random123's published known-answer
 * vectors (kat_vectors: philox4x32 10). */
#include <stdlib.h>

#include "philox.h"
#include "check_main.h"

static void expect(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                   uint32_t k0, uint32_t k1, uint32_t r0, uint32_t r1,
                   uint32_t r2, uint32_t r3)
{
    bs_ctr4 c = {{c0, c1, c2, c3}};
    bs_key2 k = {{k0, k1}};
    bs_ctr4 r = bs_philox4x32(c, k);
    ck_assert_uint_eq(r.v[0], r0);
    ck_assert_uint_eq(r.v[1], r1);
    ck_assert_uint_eq(r.v[2], r2);
    ck_assert_uint_eq(r.v[3], r3);
}

START_TEST(kat_zero)
{
    expect(0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
}
END_TEST

START_TEST(kat_ones)
{
    expect(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
           0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
}
END_TEST

START_TEST(kat_pi)
{
    expect(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u,
           0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}
END_TEST

START_TEST(bounded_range)
{
    ck_assert_uint_eq(bs_bounded32(0, 10), 0);
    ck_assert_uint_eq(bs_bounded32(0xffffffffu, 10), 9);
    ck_assert_uint_eq(bs_bounded32(0x80000000u, 10), 5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("philox");
    TCase *tc = tcase_create("kat");
    tcase_add_test(tc, kat_zero);
    tcase_add_test(tc, kat_ones);
    tcase_add_test(tc, kat_pi);
    tcase_add_test(tc, bounded_range);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_FORK, "philox");
}
