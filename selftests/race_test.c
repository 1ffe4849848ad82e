// SPDX-License-Identifier: GPL-2.0
/*
 * Races and life cycle of /dev/winsock.
 *
 * The other selftests ask one question at a time.  Here the descriptor
 * being looked up, the handle it is looked up through, the process and
 * the module change under running lookups, because that is where a
 * reference taken too late, a field read twice or a count updated without
 * its lock shows: as an answer no single-threaded sequence can give.
 *
 * - lookup_race: threads look the same descriptor number up (single ioctl
 *   and batch, both layouts) while another thread closes the socket,
 *   shuts it down, dissolves and re-establishes a UDP association or
 *   replaces the descriptor with dup2().  Every answer must be one the
 *   descriptor could give in one of the states it went through, and a
 *   successful answer must be, byte for byte, the address of one of the
 *   peers it had: no torn or mixed address, nothing written past it.
 * - handles: /dev/winsock opened and closed in storms, startups and
 *   cleanups counted exactly, a shared handle whose count never drops to
 *   zero under concurrent startup/cleanup pairs, handles closed under a
 *   lookup in flight.
 * - fork: with the raw ioctls the child shares the parent's open file (one
 *   handle, one count); through libwinsock the child reopens the device
 *   and keeps its own count (lib/startup.c), also when fork() races with
 *   WSAStartup/WSACleanup in other threads.
 * - rmmod: delete_module() is refused while lookups run, and they go on.
 * - listener: an audit subscriber leaving mid-stream (its socket closed,
 *   WINSOCK_CMD_UNSUBSCRIBE, an UNSUBSCRIBE from a socket that never
 *   subscribed, also unprivileged) must not silence the stream for the
 *   others or the next one.  Read with a raw NETLINK_GENERIC socket: this
 *   program is built 32-bit too, where libnl is not installed.
 *
 * Every phase is bounded in time (RACE_MS) so that the whole program stays
 * within seconds in a TCG guest; the counts of what happened are logged.
 */

/*
 * The harness keeps its tests in static lists, so every TEST must be in
 * this one translation unit: the pieces are headers included here.
 */
#include "race/race.h"
#include "race/lookup.h"
#include "race/handles.h"
#include "race/shared_handle.h"
#include "race/fork.h"
#include "race/listener.h"

TEST_HARNESS_MAIN
