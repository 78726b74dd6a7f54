/* SPDX-License-Identifier: ISC */
/* test_sanitize.c: untrusted text is neutralised visibly and nothing else changes. */
#include "check.h"
#include "../../client/fe-curses/sanitize.c"

static char out[512];

static const char *san(const char *in, size_t n, unsigned flags)
{
	sanitize_str(in, n, out, sizeof(out), flags);
	return out;
}

#define SAN(lit) san((lit), sizeof(lit) - 1, SAN_TAB_SPACE)
#define SAN_NAME(lit) san((lit), sizeof(lit) - 1, 0)

static void test_plain_passes(void)
{
	CHECK_STR(SAN("hello, world"), "hello, world");
	CHECK_STR(SAN("gr\xc3\xbc\xc3\x9f dich \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80"),
	    "gr\xc3\xbc\xc3\x9f dich \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80");
	CHECK_STR(SAN(""), "");
	/* A combining mark is text, not a control. */
	CHECK_STR(SAN("e\xcc\x81"), "e\xcc\x81");
}

static void test_c0_del(void)
{
	CHECK_STR(SAN("a\x07" "b"), "a^Gb");
	CHECK_STR(SAN("a\rb\nc"), "a^Mb^Jc");
	CHECK_STR(SAN("x\x7fy"), "x^?y");
	CHECK_STR(san("a\0b", 3, SAN_TAB_SPACE), "a^@b");
	CHECK_STR(SAN("a\x1f"), "a^_");
	/* TAB: a space in message text, visible in a name. */
	CHECK_STR(SAN("a\tb"), "a b");
	CHECK_STR(SAN_NAME("a\tb"), "a^Ib");
}

static void test_escape_sequences(void)
{
	CHECK_STR(SAN("\x1b[2J\x1b[31mPWNED"), "^[[2J^[[31mPWNED");
	CHECK_STR(SAN("\x1b[?1049h"), "^[[?1049h");
	CHECK_STR(SAN("\x1b" "c"), "^[c");
	/* OSC 0 (set title) ended by BEL and by ST. */
	CHECK_STR(SAN("\x1b]0;owned\x07!"), "^[]0;owned^G!");
	CHECK_STR(SAN("\x1b]0;x\x1b\\"), "^[]0;x^[\\");
	/* Lone ESC, ESC at the end, ESC ESC. */
	CHECK_STR(SAN("\x1b"), "^[");
	CHECK_STR(SAN("a\x1b\x1b"), "a^[^[");
	/* A CSI cut short or too long is not swallowed whole: each byte stays visible. */
	CHECK_STR(SAN("\x1b[12"), "^[[12");
	CHECK_STR(SAN("\x1b[1\x07m"), "^[[1^Gm");
}

static void test_escape_piece_marked(void)
{
	const uint8_t in[] = "\x1b[31mX";
	struct san_piece pc;
	size_t used = sanitize_next(in, sizeof(in) - 1, &pc, 0);

	CHECK_EQ(used, 5);
	CHECK(pc.marked);
	CHECK_STR(pc.text, "^[[31m");
	used = sanitize_next(in + 5, 1, &pc, 0);
	CHECK_EQ(used, 1);
	CHECK(!pc.marked);
	CHECK_STR(pc.text, "X");
}

static void test_c1(void)
{
	/* U+009B is the 8-bit CSI; U+0085 NEL. */
	CHECK_STR(SAN("a\xc2\x9b" "2Jb"), "a\\u{9b}2Jb");
	CHECK_STR(SAN("\xc2\x85"), "\\u{85}");
	CHECK_STR(SAN("\xc2\x80\xc2\x9f"), "\\u{80}\\u{9f}");
	/* U+00A0 is the first code point after C1 and passes. */
	CHECK_STR(SAN("\xc2\xa0"), "\xc2\xa0");
	/* A raw C1 byte is invalid UTF-8 and shows as hex. */
	CHECK_STR(SAN("\x9b" "2J"), "\\x9b2J");
}

static void test_bidi(void)
{
	CHECK_STR(SAN("abc\xe2\x80\xae" "fed"), "abc\\u{202e}fed");
	CHECK_STR(SAN("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
	    "\\u{202a}\\u{202b}\\u{202c}\\u{202d}");
	CHECK_STR(SAN("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
	    "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
	CHECK_STR(SAN("\xe2\x80\x8f\xd8\x9c"), "\\u{200f}\\u{61c}");
	/* Neighbours of the ranges pass. */
	CHECK_STR(SAN("\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
	    "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	CHECK_STR(SAN_NAME("eve\xe2\x80\xae" "nilc"), "eve\\u{202e}nilc");
}

static void test_invalid_utf8(void)
{
	CHECK_STR(SAN("\xff"), "\\xff");
	/* Overlong NUL and overlong '/', surrogate, above U+10FFFF. */
	CHECK_STR(SAN("\xc0\x80"), "\\xc0\\x80");
	CHECK_STR(SAN("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
	CHECK_STR(SAN("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	CHECK_STR(SAN("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	/* Truncated sequence at the end, and one interrupted by ASCII. */
	CHECK_STR(SAN("ok\xe4\xbd"), "ok\\xe4\\xbd");
	CHECK_STR(SAN("\xe4" "A"), "\\xe4A");
}

static void test_cp_ok(void)
{
	CHECK(sanitize_cp_ok('a'));
	CHECK(sanitize_cp_ok(0x4f60));
	CHECK(sanitize_cp_ok(0x1f600));
	CHECK(!sanitize_cp_ok(0x1b));
	CHECK(!sanitize_cp_ok('\t'));
	CHECK(!sanitize_cp_ok(0x7f));
	CHECK(!sanitize_cp_ok(0x9b));
	CHECK(!sanitize_cp_ok(0x202e));
	CHECK(!sanitize_cp_ok(0xd800));
	CHECK(!sanitize_cp_ok(0x110000));
}

static void test_truncation(void)
{
	char small[6];

	/* Cut at a piece boundary, never inside a code point or marker. */
	CHECK_EQ(sanitize_str("ab\xe4\xbd\xa0" "c", 6, small, sizeof(small), 0), 5);
	CHECK_STR(small, "ab\xe4\xbd\xa0");
	CHECK_EQ(sanitize_str("a\x1b[2J", 5, small, sizeof(small), 0), 1);
	CHECK_STR(small, "a");
	CHECK_EQ(sanitize_str("abc", 3, small, 1, 0), 0);
	CHECK_STR(small, "");
}

int main(void)
{
	test_plain_passes();
	test_c0_del();
	test_escape_sequences();
	test_escape_piece_marked();
	test_c1();
	test_bidi();
	test_invalid_utf8();
	test_cp_ok();
	test_truncation();
	return check_summary();
}
