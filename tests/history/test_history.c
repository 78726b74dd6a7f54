/* SPDX-License-Identifier: ISC */
/* test_history.c: the encrypted history store: round trip, sealing, direct messages per conversation, refusal of other identities and tampered rows, faults (corrupt, locked, full disk, unreadable, kill -9), migrations, retention, search, forget. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "check.h"
#include "crypto.h"
#include "history.h"

static char tmpdir[256];
static uint8_t root_a[HISTORY_ROOT_LEN], root_b[HISTORY_ROOT_LEN];
static const struct history_opts no_limits = { 0, 0 };

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
db_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static int
add_msg(struct history *h, const char *room, const char *name, const char *text,
    uint64_t ts)
{
	struct history_entry e = {
		.ts_ms = ts, .kind = HISTORY_MSG, .name = (char *)name,
		.fpr = (char *)"SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		.text = (char *)text, .text_len = strlen(text),
	};

	return history_add(h, room, &e);
}

#define FPR_BOB   "SHA256:bobbobbobbobbobbobbobbobbobbobbobbobbobbobbob"
#define FPR_CAROL "SHA256:carolcarolcarolcarolcarolcarolcarolcarolcar"

/* A DM of the conversation with peer in room: ours (self) or the peer's. */
static int
add_dm(struct history *h, const char *room, const char *peer, bool self,
    const char *text, uint64_t ts)
{
	struct history_entry e = {
		.ts_ms = ts, .kind = HISTORY_DM, .self = self,
		.name = (char *)(self ? "alice" : "peer"),
		.fpr = (char *)(self ? "SHA256:alice" : peer),
		.text = (char *)text, .text_len = strlen(text),
	};

	return history_add_dm(h, room, peer, &e, NULL);
}

static struct history *
open_ok(const char *path, const uint8_t *root, const struct history_opts *o)
{
	struct history *h = NULL;
	char err[HISTORY_ERR_LEN];
	int r = history_open(&h, path, root, o, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "open %s: %d %s\n", path, r, err);
	CHECK_EQ(r, 0);
	return h;
}

/* The whole file (and WAL) as bytes: for "left as it is" and "no
 * plaintext" checks. */
static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long len;

	*n = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len + 1)) != NULL &&
	    fread(p, 1, (size_t)len, f) == (size_t)len)
		*n = (size_t)len;
	fclose(f);
	return p;
}

static bool
file_contains(const char *path, const char *needle)
{
	size_t n, nl = strlen(needle), i;
	uint8_t *p = slurp(path, &n);
	bool found = false;

	for (i = 0; p != NULL && i + nl <= n && !found; i++)
		found = memcmp(p + i, needle, nl) == 0;
	free(p);
	return found;
}

static bool
same_bytes(const char *path, const uint8_t *want, size_t want_n)
{
	size_t n;
	uint8_t *p = slurp(path, &n);
	bool same = p != NULL && n == want_n && memcmp(p, want, n) == 0;

	free(p);
	return same;
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* --- tests ---------------------------------------------------------------- */

static void
test_round_trip(void)
{
	char path[512];
	struct history *h;
	struct history_list l;
	struct history_entry j = { .ts_ms = 5, .kind = HISTORY_JOIN, .name = (char *)"bob",
	    .fpr = (char *)"SHA256:bob" };
	struct stat st;
	uint64_t n;
	char text[32];
	int i;

	db_path(path, sizeof(path), "rt.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK(history_on(h));
	CHECK_EQ(history_version(h), HISTORY_SCHEMA_VERSION);
	CHECK_EQ(history_add(h, "lobby", &j), 0);
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		CHECK_EQ(add_msg(h, "lobby", "alice", text, 100 + (uint64_t)i), 0);
	}
	CHECK_EQ(add_msg(h, "other", "carol", "elsewhere", 200), 0);
	history_free(h);

	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_count(h, NULL, &n), 0);
	CHECK_EQ(n, 12);
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 11);
	CHECK_EQ(history_last(h, "lobby", 3, &l), 0);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.refused, 0);
	if (l.n == 3) {
		CHECK_STR(l.e[0].text, "line 7");
		CHECK_STR(l.e[2].text, "line 9");
		CHECK_EQ(l.e[2].ts_ms, 109);
		CHECK_STR(l.e[2].name, "alice");
		CHECK_EQ(l.e[2].kind, HISTORY_MSG);
		CHECK(l.e[0].id < l.e[1].id && l.e[1].id < l.e[2].id);
	}
	history_list_free(&l);
	CHECK_EQ(history_last(h, "lobby", 100, &l), 0);
	CHECK_EQ(l.n, 11);
	if (l.n == 11) {
		CHECK_EQ(l.e[0].kind, HISTORY_JOIN);
		CHECK_STR(l.e[0].name, "bob");
		CHECK_STR(l.e[0].fpr, "SHA256:bob");
		CHECK_EQ(l.e[0].text_len, 0);
	}
	history_list_free(&l);
	CHECK_EQ(history_last(h, "nobody-here", 5, &l), 0);
	CHECK_EQ(l.n, 0);
	history_list_free(&l);
	/* Bad arguments are refused without switching the store off. */
	CHECK_EQ(add_msg(h, "", "a", "x", 1), HISTORY_E_INVAL);
	CHECK(history_on(h));
	history_free(h);
}

/* The file holds no text, name, fingerprint or room name in the clear. */
static void
test_sealed_at_rest(void)
{
	char path[512], wal[540];
	struct history *h;

	db_path(path, sizeof(path), "sealed.db");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "secretroom", "zelda", "the-plaintext-marker", 1), 0);
	/* Still open: the record sits in the WAL. */
	CHECK(!file_contains(wal, "the-plaintext-marker"));
	CHECK(!file_contains(wal, "zelda"));
	CHECK(!file_contains(wal, "secretroom"));
	CHECK(!file_contains(wal, "abcdefghijklmnop"));
	history_free(h);
	/* Closed: checkpointed into the main file. */
	CHECK(!file_contains(path, "the-plaintext-marker"));
	CHECK(!file_contains(path, "zelda"));
	CHECK(!file_contains(path, "secretroom"));
	CHECK(!file_contains(path, "abcdefghijklmnop"));
	/* Sanity of the scan itself: the SQLite schema text is there. */
	CHECK(file_contains(path, "CREATE TABLE msg"));
}

static void
test_other_identity(void)
{
	char path[512], err[HISTORY_ERR_LEN];
	struct history *h;
	uint8_t *before;
	size_t n;

	db_path(path, sizeof(path), "ident.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "mine", 1), 0);
	history_free(h);
	before = slurp(path, &n);
	CHECK(before != NULL);
	h = (struct history *)1;
	CHECK_EQ(history_open(&h, path, root_b, &no_limits, err, sizeof(err)),
	    HISTORY_E_IDENTITY);
	CHECK(h == NULL);
	CHECK(strstr(err, "another identity") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(same_bytes(path, before, n));
	free(before);
	/* The right identity still reads it. */
	if ((h = open_ok(path, root_a, &no_limits)) != NULL) {
		struct history_list l;

		CHECK_EQ(history_last(h, "lobby", 5, &l), 0);
		CHECK_EQ(l.n, 1);
		history_list_free(&l);
		history_free(h);
	}
}

/* Fill a room with 4 rows, alter the file with raw SQL, count what comes
 * back and check the altered row never does. */
static void
tamper_case(const char *name, const char *sql, size_t want_n, size_t want_refused)
{
	char path[512];
	struct history *h;
	struct history_list l;
	size_t i;

	db_path(path, sizeof(path), name);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "one", 10), 0);
	CHECK_EQ(add_msg(h, "lobby", "a", "two", 20), 0);
	CHECK_EQ(add_msg(h, "lobby", "a", "three", 30), 0);
	CHECK_EQ(add_msg(h, "elsewhere", "a", "four", 40), 0);
	history_free(h);
	CHECK_EQ(raw_exec(path, sql), SQLITE_OK);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_last(h, "lobby", 10, &l), 0);
	if (l.n != want_n || l.refused != want_refused)
		fprintf(stderr, "tamper %s: n=%zu refused=%zu\n", name, l.n, l.refused);
	CHECK_EQ(l.n, want_n);
	CHECK_EQ(l.refused, want_refused);
	for (i = 0; i < l.n; i++) {
		CHECK(strcmp(l.e[i].text, "two") != 0);     /* row 2 was altered */
		CHECK(strcmp(l.e[i].text, "four") != 0);    /* never in this room */
	}
	history_list_free(&l);
	CHECK(history_on(h));
	history_free(h);
}

static void
test_tampered_rows(void)
{
	/* A flipped ciphertext bit. */
	tamper_case("t1.db", "UPDATE msg SET body = "
	    "(substr(body, 1, 2) || x'ff' || substr(body, 4)) WHERE id = 2", 2, 1);
	/* A changed timestamp (bound in the AAD). */
	tamper_case("t2.db", "UPDATE msg SET ts = ts + 1 WHERE id = 2", 2, 1);
	/* A changed nonce. */
	tamper_case("t3.db", "UPDATE msg SET nonce = zeroblob(12) WHERE id = 2", 2, 1);
	/* Row 4 moved into the room (room tag copied): its AAD names the
	 * other room, so it is refused. Row 2 is deleted to keep the check on
	 * "two" meaningful. */
	tamper_case("t4.db", "DELETE FROM msg WHERE id = 2; UPDATE msg SET room = "
	    "(SELECT room FROM msg WHERE id = 1) WHERE id = 4", 2, 1);
	/* Row 2's sealed body moved to a new id (replayed / reordered). */
	tamper_case("t5.db", "UPDATE msg SET id = 9 WHERE id = 2", 2, 1);
	/* Bodies of rows 2 and 3 swapped. */
	tamper_case("t6.db", "CREATE TEMP TABLE s AS SELECT id, nonce, body FROM msg;"
	    "UPDATE msg SET nonce = (SELECT nonce FROM s WHERE id = 3), body = "
	    "(SELECT body FROM s WHERE id = 3) WHERE id = 2;"
	    "UPDATE msg SET nonce = (SELECT nonce FROM s WHERE id = 2), body = "
	    "(SELECT body FROM s WHERE id = 2) WHERE id = 3;", 1, 2);
	/* Truncated body, wrong-size nonce. */
	tamper_case("t7.db", "UPDATE msg SET body = x'00' WHERE id = 2", 2, 1);
	tamper_case("t8.db", "UPDATE msg SET nonce = x'0011' WHERE id = 2", 2, 1);
	/* A swapped key block (another identity's, made for root_b) is refused
	 * at open: covered by test_other_identity. */
}

static bool
aside_exists(const char *base, const uint8_t *want, size_t want_n)
{
	char pat[600];
	FILE *p;
	char line[700];
	bool ok = false;

	snprintf(pat, sizeof(pat), "ls -1 %s.corrupt-* 2>/dev/null", base);
	if ((p = popen(pat, "r")) == NULL)
		return false;
	while (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "-wal") || strstr(line, "-shm"))
			continue;
		ok = ok || want == NULL || same_bytes(line, want, want_n);
	}
	pclose(p);
	return ok;
}

static void
test_corrupt_moved_aside(void)
{
	char path[512], err[HISTORY_ERR_LEN];
	struct history *h;
	uint8_t junk[8192], *before;
	size_t n;
	FILE *f;
	int fd;

	/* Not a database at all. */
	db_path(path, sizeof(path), "junk.db");
	sotto_random_nonce(junk, sizeof(junk));
	CHECK((f = fopen(path, "wb")) != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	CHECK_EQ(history_open(&h, path, root_a, &no_limits, err, sizeof(err)),
	    HISTORY_E_CORRUPT);
	CHECK(h == NULL);
	CHECK(strstr(err, "moved aside") != NULL);
	CHECK(access(path, F_OK) != 0);
	CHECK(aside_exists(path, junk, sizeof(junk)));

	/* A real history whose table pages were overwritten. */
	db_path(path, sizeof(path), "damaged.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	for (n = 0; n < 200; n++)
		CHECK_EQ(add_msg(h, "lobby", "a", "some text to fill a few pages", n), 0);
	history_free(h);
	CHECK((fd = open(path, O_WRONLY)) >= 0);
	memset(junk, 0xA5, sizeof(junk));
	CHECK_EQ(pwrite(fd, junk, 4096, 4096), 4096);     /* page 2 .. */
	CHECK_EQ(pwrite(fd, junk, 4096, 8192), 4096);
	close(fd);
	before = slurp(path, &n);
	if (history_open(&h, path, root_a, &no_limits, err, sizeof(err)) == 0) {
		/* The damage may only show on reading the rows. */
		struct history_list l;

		CHECK_EQ(history_last(h, "lobby", 300, &l), HISTORY_E_CORRUPT);
		CHECK(!history_on(h));
		CHECK(strstr(history_errmsg(h), "moved aside") != NULL);
		CHECK_EQ(add_msg(h, "lobby", "a", "after", 1), HISTORY_E_OFF);
		history_free(h);
	} else
		CHECK(strstr(err, "moved aside") != NULL);
	CHECK(access(path, F_OK) != 0);
	CHECK(aside_exists(path, before, n));
	free(before);
}

/* A child of this test holds the history open (as a second client would). */
static void
test_locked(void)
{
	char path[512], err[HISTORY_ERR_LEN], c;
	struct history *h;
	int up[2], down[2], status;
	uint8_t *before;
	size_t n;
	pid_t pid;

	db_path(path, sizeof(path), "locked.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "kept", 1), 0);
	history_free(h);
	CHECK(pipe(up) == 0 && pipe(down) == 0);
	if ((pid = fork()) == 0) {
		struct history *ch = NULL;
		char e2[HISTORY_ERR_LEN];
		int r = history_open(&ch, path, root_a, &no_limits, e2, sizeof(e2));

		c = r == 0 ? 'y' : 'n';
		(void)!write(up[1], &c, 1);
		(void)!read(down[0], &c, 1);
		history_free(ch);
		_exit(r == 0 ? 0 : 1);
	}
	CHECK(read(up[0], &c, 1) == 1 && c == 'y');
	before = slurp(path, &n);
	CHECK_EQ(history_open(&h, path, root_a, &no_limits, err, sizeof(err)),
	    HISTORY_E_LOCKED);
	CHECK(strstr(err, "in use") != NULL);
	CHECK(same_bytes(path, before, n));
	free(before);
	(void)!write(down[1], "x", 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	close(up[0]); close(up[1]); close(down[0]); close(down[1]);
	/* Free again once the other client is gone. */
	if ((h = open_ok(path, root_a, &no_limits)) != NULL) {
		uint64_t cnt;

		CHECK_EQ(history_count(h, "lobby", &cnt), 0);
		CHECK_EQ(cnt, 1);
		history_free(h);
	}
}

/* A disk that fills: the child's file-size limit stops writes. Every line
 * history_add accepted before is still there afterwards, and nothing
 * crashes. */
static void
test_full_disk(void)
{
	char path[512];
	struct history *h;
	struct history_list l;
	int p[2], status;
	uint32_t stored = 0;
	uint64_t cnt;
	pid_t pid;
	struct stat st;

	db_path(path, sizeof(path), "full.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "before the limit", 1), 0);
	history_free(h);
	CHECK(stat(path, &st) == 0);
	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		struct rlimit rl = { .rlim_cur = (rlim_t)st.st_size + 256 * 1024,
		    .rlim_max = (rlim_t)st.st_size + 256 * 1024 };
		char e2[HISTORY_ERR_LEN], text[200];
		uint32_t ok = 0;
		int i, r = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
		    history_open(&h, path, root_a, &no_limits, e2, sizeof(e2)) != 0)
			_exit(2);
		memset(text, 'x', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		for (i = 0; i < 100000 && (r = add_msg(h, "lobby", "a", text, 2)) == 0; i++)
			ok++;
		(void)!write(p[1], &ok, sizeof(ok));
		if (r != HISTORY_E_FULL || strstr(history_errmsg(h), "disk full") == NULL) {
			fprintf(stderr, "full: %d %s\n", r, history_errmsg(h));
			_exit(3);
		}
		if (add_msg(h, "lobby", "a", text, 3) != HISTORY_E_OFF || history_on(h))
			_exit(4);
		history_free(h);
		_exit(0);
	}
	CHECK(read(p[0], &stored, sizeof(stored)) == sizeof(stored));
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	close(p[0]); close(p[1]);
	CHECK(stored > 10);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_count(h, "lobby", &cnt), 0);
	CHECK_EQ(cnt, 1 + stored);
	CHECK_EQ(history_last(h, "lobby", 100000, &l), 0);
	CHECK_EQ(l.n, 1 + stored);
	CHECK_EQ(l.refused, 0);
	history_list_free(&l);
	history_free(h);
}

/* Another user's file (root bypasses modes, so the child drops to nobody). */
static void
test_unreadable(void)
{
	char path[512];
	struct history *h;
	uint8_t *before;
	size_t n;
	int status;
	pid_t pid;

	db_path(path, sizeof(path), "unreadable.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "kept", 1), 0);
	history_free(h);
	CHECK_EQ(chmod(path, 0), 0);
	CHECK_EQ(chmod(tmpdir, 0755), 0);
	before = slurp(path, &n);
	if ((pid = fork()) == 0) {
		char e2[HISTORY_ERR_LEN];
		int r;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		r = history_open(&h, path, root_a, &no_limits, e2, sizeof(e2));
		_exit(r == HISTORY_E_OPEN && h == NULL &&
		    strstr(e2, "ermission denied") != NULL ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(same_bytes(path, before, n));
	free(before);
	CHECK_EQ(chmod(path, 0600), 0);
	CHECK_EQ(chmod(tmpdir, 0700), 0);
}

/* kill -9 right after history_add returned: every acknowledged line is
 * there after the restart. */
static void
test_kill9(void)
{
	char path[512];
	struct history *h;
	struct history_list l;
	uint32_t acked = 0, v;
	int p[2], status;
	pid_t pid;

	db_path(path, sizeof(path), "kill.db");
	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		char e2[HISTORY_ERR_LEN], text[32];
		uint32_t i;

		if (history_open(&h, path, root_a, &no_limits, e2, sizeof(e2)) != 0)
			_exit(2);
		for (i = 1; i <= 1000000; i++) {
			snprintf(text, sizeof(text), "n%u", i);
			if (add_msg(h, "lobby", "a", text, i) != 0)
				_exit(3);
			(void)!write(p[1], &i, sizeof(i));
		}
		_exit(0);
	}
	close(p[1]);
	while (acked < 500 && read(p[0], &v, sizeof(v)) == sizeof(v))
		acked = v;
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	close(p[0]);
	CHECK_EQ(acked, 500);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_last(h, "lobby", 2000000, &l), 0);
	CHECK(l.n >= acked);
	CHECK_EQ(l.refused, 0);
	if (l.n >= acked) {
		char want[32];
		uint32_t i;
		bool all = true;

		for (i = 0; i < acked; i++) {
			snprintf(want, sizeof(want), "n%u", i + 1);
			all = all && strcmp(l.e[i].text, want) == 0;
		}
		CHECK(all);
	}
	history_list_free(&l);
	history_free(h);
}

static void
test_migration_from_v1(void)
{
	char path[512], err[HISTORY_ERR_LEN];
	struct history *h;
	struct history_list l;

	db_path(path, sizeof(path), "v1.db");
	CHECK_EQ(history_open_at_version(&h, path, root_a, &no_limits, 1, err,
	    sizeof(err)), 0);
	if (h == NULL)
		return;
	CHECK_EQ(history_version(h), 1);
	CHECK_EQ(add_msg(h, "lobby", "a", "written by v1", 7), 0);
	history_free(h);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 1);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'msg_room_id'"), 0);
	/* 1 -> 2 */
	CHECK_EQ(history_open_at_version(&h, path, root_a, &no_limits, 2, err,
	    sizeof(err)), 0);
	if (h == NULL)
		return;
	CHECK_EQ(history_version(h), 2);
	CHECK_EQ(history_last(h, "lobby", 5, &l), 0);
	CHECK_EQ(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.e[0].text, "written by v1");
	history_list_free(&l);
	CHECK_EQ(add_msg(h, "lobby", "a", "written by v2", 8), 0);
	/* A v2 file has no place for DMs. */
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "no dm at v2", 9), HISTORY_E_INVAL);
	history_free(h);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 2);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'msg_room_id'"), 1);
	/* 2 -> 3: the rows of v1 and v2 are the room's, readable as before;
	 * DMs can be stored and stay out of the room's reads. */
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_version(h), 3);
	CHECK_EQ(history_last(h, "lobby", 5, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.refused, 0);
	if (l.n == 2) {
		CHECK_STR(l.e[0].text, "written by v1");
		CHECK_STR(l.e[1].text, "written by v2");
	}
	history_list_free(&l);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "dm at v3", 10), 0);
	CHECK_EQ(history_last(h, "lobby", 5, &l), 0);
	CHECK_EQ(l.n, 2);
	history_list_free(&l);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 5, &l), 0);
	CHECK_EQ(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.e[0].text, "dm at v3");
	history_list_free(&l);
	history_free(h);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 3);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM msg WHERE peer IS NULL"), 2);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'msg_room_peer_id'"), 1);

	/* A schema from the future is left alone. */
	CHECK_EQ(raw_exec(path, "PRAGMA user_version = 99"), SQLITE_OK);
	CHECK_EQ(history_open(&h, path, root_a, &no_limits, err, sizeof(err)),
	    HISTORY_E_NEWER);
	CHECK(strstr(err, "newer") != NULL);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM msg"), 3);
}

/* Texts of a list, joined by '|', for compact checks. */
static void
texts(const struct history_list *l, char *out, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? "|" : "", l->e[i].text);
}

static void
test_dm_rows(void)
{
	char path[512], got[256];
	struct history *h;
	struct history_list l;
	struct history_entry bad = { .ts_ms = 1, .kind = HISTORY_DM, .name = "a",
	    .fpr = "", .text = "x", .text_len = 1 };
	uint64_t n;
	int64_t id = 0;
	bool all;

	db_path(path, sizeof(path), "dm.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "room one", 1), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "bob: secret one", 2), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, true, "to bob: secret two", 3), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_CAROL, false, "carol: secret three", 4), 0);
	CHECK_EQ(add_dm(h, "elsewhere", FPR_BOB, false, "bob elsewhere: secret", 5), 0);
	CHECK_EQ(add_msg(h, "lobby", "a", "room two", 6), 0);
	/* A DM row is HISTORY_DM and only that; a room row never is. */
	CHECK_EQ(history_add(h, "lobby", &bad), HISTORY_E_INVAL);
	bad.kind = HISTORY_MSG;
	CHECK_EQ(history_add_dm(h, "lobby", FPR_BOB, &bad, NULL), HISTORY_E_INVAL);
	CHECK_EQ(history_add_dm(h, "lobby", NULL, &bad, NULL), HISTORY_E_INVAL);
	bad.kind = HISTORY_DM;
	CHECK_EQ(history_add_dm(h, "lobby", "", &bad, NULL), HISTORY_E_INVAL);
	CHECK_EQ(history_add_dm(h, "lobby", FPR_BOB, &bad, &id), 0);
	CHECK_EQ(id, 7);

	/* The room's reads: its own lines only. */
	CHECK_EQ(history_last(h, "lobby", 50, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "room one|room two");
	history_list_free(&l);
	CHECK_EQ(history_search(h, "lobby", "secret", 50, 1000, &l, &all), 0);
	CHECK_EQ(l.n, 0);
	CHECK(all);
	history_list_free(&l);

	/* One conversation: that peer in that room, ours and theirs, oldest
	 * first. */
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 50, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "bob: secret one|to bob: secret two|x");
	CHECK_EQ(l.refused, 0);
	if (l.n == 3) {
		CHECK(!l.e[0].self);
		CHECK(l.e[1].self);
		CHECK_EQ(l.e[0].kind, HISTORY_DM);
		CHECK_STR(l.e[0].fpr, FPR_BOB);
		CHECK_EQ(l.e[1].ts_ms, 3);
	}
	history_list_free(&l);
	/* The last n, and only rows before a given id. */
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 1, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "x");
	history_list_free(&l);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, 7, 2, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "bob: secret one|to bob: secret two");
	history_list_free(&l);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_CAROL, INT64_MAX, 50, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "carol: secret three");
	history_list_free(&l);
	CHECK_EQ(history_last_dm(h, "elsewhere", FPR_BOB, INT64_MAX, 50, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "bob elsewhere: secret");
	history_list_free(&l);
	CHECK_EQ(history_search_dm(h, "lobby", FPR_BOB, "SECRET", 50, 1000, &l, &all), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "to bob: secret two|bob: secret one");   /* newest first */
	history_list_free(&l);

	/* Forgetting one conversation keeps the rest. */
	CHECK_EQ(history_forget_dm(h, "lobby", FPR_BOB), 0);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 50, &l), 0);
	CHECK_EQ(l.n, 0);
	history_list_free(&l);
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 3);              /* room one, room two, carol's */
	CHECK_EQ(history_count(h, "elsewhere", &n), 0);
	CHECK_EQ(n, 1);
	/* Forgetting the room takes its DMs along, not another room's. */
	CHECK_EQ(history_forget(h, "lobby"), 0);
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_CAROL, INT64_MAX, 50, &l), 0);
	CHECK_EQ(l.n, 0);
	history_list_free(&l);
	CHECK_EQ(history_count(h, "elsewhere", &n), 0);
	CHECK_EQ(n, 1);
	history_free(h);
	/* Nothing of a DM in the file in clear. */
	CHECK(!file_contains(path, "secret"));
}

/* Rows 1 room "r1" (lobby), 2 "b1" (bob), 3 "c1" (carol), 4 "e1" (bob in
 * elsewhere), 5 "b2" (bob); alter the file, read bob's conversation in
 * lobby (or the room when room_read): what comes back and what is
 * refused. */
static void
dm_tamper_case(const char *name, const char *sql, bool room_read,
    const char *want, size_t want_refused)
{
	char path[512], got[128];
	struct history *h;
	struct history_list l;

	db_path(path, sizeof(path), name);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "r1", 10), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "b1", 20), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_CAROL, false, "c1", 30), 0);
	CHECK_EQ(add_dm(h, "elsewhere", FPR_BOB, false, "e1", 40), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, true, "b2", 50), 0);
	history_free(h);
	CHECK_EQ(raw_exec(path, sql), SQLITE_OK);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	if (room_read)
		CHECK_EQ(history_last(h, "lobby", 10, &l), 0);
	else
		CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 10, &l), 0);
	texts(&l, got, sizeof(got));
	if (strcmp(got, want) != 0 || l.refused != want_refused)
		fprintf(stderr, "dm tamper %s: got %s refused=%zu\n", name, got,
		    l.refused);
	CHECK_STR(got, want);
	CHECK_EQ(l.refused, want_refused);
	history_list_free(&l);
	history_free(h);
}

static void
test_dm_tampered(void)
{
	/* Carol's DM moved into the conversation with bob (peer tag copied). */
	dm_tamper_case("d1.db", "UPDATE msg SET peer = (SELECT peer FROM msg "
	    "WHERE id = 2) WHERE id = 3", false, "b1|b2", 1);
	/* Bob's DM of another room moved into lobby (room tag copied). */
	dm_tamper_case("d2.db", "UPDATE msg SET room = (SELECT room FROM msg "
	    "WHERE id = 1) WHERE id = 4", false, "b1|b2", 1);
	/* A DM made a room line (peer tag dropped): not in the room's lines. */
	dm_tamper_case("d3.db", "UPDATE msg SET peer = NULL WHERE id = 2", true,
	    "r1", 1);
	/* A room line made a DM with bob. */
	dm_tamper_case("d4.db", "UPDATE msg SET peer = (SELECT peer FROM msg "
	    "WHERE id = 2) WHERE id = 1", false, "b1|b2", 1);
	/* A DM given another time, and one replayed under another id. */
	dm_tamper_case("d5.db", "UPDATE msg SET ts = ts + 1 WHERE id = 5", false,
	    "b1", 1);
	dm_tamper_case("d6.db", "UPDATE msg SET id = 9 WHERE id = 2", false, "b2", 1);
}

/* Age and size retention take DM rows like any other. */
static void
test_dm_retention(void)
{
	char path[512], got[64];
	struct history *h;
	struct history_list l;
	struct history_opts age = { .max_age_ms = 1000, .max_bytes = 0 };
	struct history_opts size = { .max_age_ms = 0, .max_bytes = 20000 };
	uint64_t t = now_ms();
	char text[128];
	int i;

	db_path(path, sizeof(path), "dmage.db");
	if ((h = open_ok(path, root_a, &age)) == NULL)
		return;
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "old", t - 5000), 0);
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, true, "new", t), 0);
	CHECK_EQ(history_prune(h, t), 0);
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 10, &l), 0);
	texts(&l, got, sizeof(got));
	CHECK_STR(got, "new");
	history_list_free(&l);
	history_free(h);

	db_path(path, sizeof(path), "dmsize.db");
	if ((h = open_ok(path, root_a, &size)) == NULL)
		return;
	CHECK_EQ(add_dm(h, "lobby", FPR_BOB, false, "first", t), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "%04d %s", i,
		    "padding padding padding padding padding padding padding");
		CHECK_EQ(add_dm(h, "lobby", FPR_CAROL, false, text, t), 0);
		CHECK(history_bytes(h) <= size.max_bytes);
	}
	CHECK_EQ(history_last_dm(h, "lobby", FPR_BOB, INT64_MAX, 10, &l), 0);
	CHECK_EQ(l.n, 0);
	history_list_free(&l);
	history_free(h);
}

static void
test_retention(void)
{
	char path[512];
	struct history *h;
	struct history_list l;
	struct history_opts age = { .max_age_ms = 1000, .max_bytes = 0 };
	struct history_opts size = { .max_age_ms = 0, .max_bytes = 20000 };
	uint64_t n, t = now_ms();
	char text[128];
	int i;

	db_path(path, sizeof(path), "age.db");
	if ((h = open_ok(path, root_a, &age)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "old", t - 5000), 0);
	CHECK_EQ(add_msg(h, "lobby", "a", "new", t), 0);
	CHECK_EQ(history_prune(h, t), 0);
	CHECK_EQ(history_last(h, "lobby", 10, &l), 0);
	CHECK_EQ(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.e[0].text, "new");
	history_list_free(&l);
	history_free(h);
	/* Applied at open too. */
	if ((h = open_ok(path, root_a, &age)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "older", t - 5000), 0);
	history_free(h);
	if ((h = open_ok(path, root_a, &age)) == NULL)
		return;
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 1);
	history_free(h);

	db_path(path, sizeof(path), "size.db");
	if ((h = open_ok(path, root_a, &size)) == NULL)
		return;
	memset(text, 'y', sizeof(text));
	for (i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "%04d %s", i,
		    "padding padding padding padding padding padding padding");
		CHECK_EQ(add_msg(h, "lobby", "a", text, t), 0);
		CHECK(history_bytes(h) <= size.max_bytes);
	}
	CHECK_EQ(history_last(h, "lobby", 1, &l), 0);
	CHECK_EQ(l.n, 1);
	if (l.n == 1)
		CHECK(strncmp(l.e[0].text, "0999", 4) == 0);
	history_list_free(&l);
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK(n > 50 && n < 1000);
	history_free(h);
}

static void
test_search(void)
{
	char path[512], text[64];
	struct history *h;
	struct history_list l;
	bool all;
	int i;

	db_path(path, sizeof(path), "search.db");
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	for (i = 0; i < 2000; i++) {
		snprintf(text, sizeof(text), i % 100 == 0 ? "Needle %d" : "hay %d", i);
		CHECK_EQ(add_msg(h, "lobby", "a", text, (uint64_t)i), 0);
	}
	CHECK_EQ(add_msg(h, "other", "a", "needle elsewhere", 1), 0);
	CHECK_EQ(history_search(h, "lobby", "nEEdle", 100, 100000, &l, &all), 0);
	CHECK_EQ(l.n, 20);
	CHECK(all);
	if (l.n == 20) {
		CHECK_STR(l.e[0].text, "Needle 1900");   /* newest first */
		CHECK_STR(l.e[19].text, "Needle 0");
	}
	history_list_free(&l);
	/* Bounded: only the newest 550 rows looked at. */
	CHECK_EQ(history_search(h, "lobby", "needle", 100, 550, &l, &all), 0);
	CHECK_EQ(l.n, 5);
	CHECK(!all);
	history_list_free(&l);
	/* Bounded by hits. */
	CHECK_EQ(history_search(h, "lobby", "needle", 3, 100000, &l, &all), 0);
	CHECK_EQ(l.n, 3);
	CHECK(!all);
	history_list_free(&l);
	CHECK_EQ(history_search(h, "lobby", "absent", 10, 100000, &l, &all), 0);
	CHECK_EQ(l.n, 0);
	CHECK(all);
	history_list_free(&l);
	history_free(h);
}

static void
test_forget(void)
{
	char path[512], wal[540];
	struct history *h;
	uint64_t n;

	db_path(path, sizeof(path), "forget.db");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(add_msg(h, "lobby", "a", "to forget", 1), 0);
	CHECK_EQ(add_msg(h, "keep", "a", "to keep", 1), 0);
	CHECK_EQ(history_forget(h, "lobby"), 0);
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(history_count(h, "keep", &n), 0);
	CHECK_EQ(n, 1);
	history_free(h);
	if ((h = open_ok(path, root_a, &no_limits)) == NULL)
		return;
	CHECK_EQ(history_count(h, "lobby", &n), 0);
	CHECK_EQ(n, 0);
	history_free(h);
}

static void
test_default_path(void)
{
	char p1[1024], p2[1024], err[256], xdg[400];
	struct stat st;

	snprintf(xdg, sizeof(xdg), "%s/xdg/deeper", tmpdir);
	setenv("XDG_DATA_HOME", xdg, 1);
	CHECK_EQ(history_default_path(p1, sizeof(p1), root_a, err, sizeof(err)), 0);
	CHECK_EQ(history_default_path(p2, sizeof(p2), root_b, err, sizeof(err)), 0);
	CHECK(strncmp(p1, xdg, strlen(xdg)) == 0);
	CHECK(strstr(p1, "/sotto/") != NULL);
	CHECK(strcmp(p1, p2) != 0);
	CHECK(strlen(p1) == strlen(xdg) + strlen("/sotto/") + 32 + 3);
	snprintf(xdg + strlen(xdg), sizeof(xdg) - strlen(xdg), "/sotto");
	CHECK(stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	setenv("XDG_DATA_HOME", "relative/path", 1);
	setenv("HOME", tmpdir, 1);
	CHECK_EQ(history_default_path(p1, sizeof(p1), root_a, err, sizeof(err)), 0);
	CHECK(strstr(p1, "/.local/share/sotto/") != NULL);
	unsetenv("XDG_DATA_HOME");
}

/* A store that is off answers every call at once. */
static void
test_off(void)
{
	struct history_list l;
	bool all;
	uint64_t n;

	CHECK(!history_on(NULL));
	CHECK_EQ(add_msg(NULL, "lobby", "a", "x", 1), HISTORY_E_OFF);
	CHECK_EQ(history_last(NULL, "lobby", 5, &l), HISTORY_E_OFF);
	CHECK_EQ(history_search(NULL, "lobby", "x", 5, 5, &l, &all), HISTORY_E_OFF);
	CHECK_EQ(history_forget(NULL, "lobby"), HISTORY_E_OFF);
	CHECK_EQ(history_count(NULL, NULL, &n), HISTORY_E_OFF);
	CHECK(history_errmsg(NULL) != NULL);
	history_free(NULL);
}

static void
test_root_from_sig(void)
{
	uint8_t sig[64], r1[HISTORY_ROOT_LEN], r2[HISTORY_ROOT_LEN];
	struct sotto_ed25519 *k;

	/* Ed25519 is deterministic: the same key signing the challenge twice
	 * (as a key file or an agent would) gives the same root. */
	CHECK_EQ(sotto_ed25519_generate(&k), 0);
	CHECK_EQ(sotto_ed25519_sign(k, HISTORY_ROOT_CHALLENGE,
	    strlen(HISTORY_ROOT_CHALLENGE), sig), 0);
	history_root_from_sig(r1, sig);
	CHECK_EQ(sotto_ed25519_sign(k, HISTORY_ROOT_CHALLENGE,
	    strlen(HISTORY_ROOT_CHALLENGE), sig), 0);
	history_root_from_sig(r2, sig);
	CHECK_MEM(r1, r2, sizeof(r1));
	sig[0] ^= 1;
	history_root_from_sig(r2, sig);
	CHECK(memcmp(r1, r2, sizeof(r1)) != 0);
	sotto_ed25519_free(k);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

int
main(void)
{
	char tmpl[] = "/tmp/sotto-history-XXXXXX";

	if (sotto_crypto_init() != 0 || mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	sotto_random(root_a, sizeof(root_a));
	sotto_random(root_b, sizeof(root_b));
	test_root_from_sig();
	test_off();
	test_round_trip();
	test_sealed_at_rest();
	test_other_identity();
	test_tampered_rows();
	test_corrupt_moved_aside();
	test_locked();
	test_full_disk();
	test_unreadable();
	test_kill9();
	test_migration_from_v1();
	test_dm_rows();
	test_dm_tampered();
	test_dm_retention();
	test_retention();
	test_search();
	test_forget();
	test_default_path();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
