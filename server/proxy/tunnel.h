/*
 * tunnel: WebSocket (and any HTTP Upgrade) through the proxy.
 *
 * The upstream connection is made by the upstream engine (libcurl resolves and connects), the
 * handshake is passed on as it came (minus kfdash's credentials, plus the identity headers),
 * and the upstream's 101 goes back to the client. From then on one epoll thread of our own
 * relays bytes both ways through bounded buffers (a full buffer stops reading from the sender),
 * and closes both sides when either ends or the tunnel stays silent too long.
 *
 * Threads: tunnel_open on an HTTP thread; everything else on the relay thread.
 */
#pragma once

struct http_request;
struct upstream;

/* Bytes buffered in each direction of a tunnel. */
#define TUNNEL_BUFFER_BYTES (16 << 10)

struct tunnels;

/* Starts the relay thread (server/kfdash.h); engine must outlive it. */
int tunnels_new(struct upstream *engine, struct tunnels **ret);
/* At shutdown, while the HTTP server still runs: closes every tunnel (their requests end) and
 * refuses new ones; NULL-safe. */
void tunnels_close_all(struct tunnels *rl);
/* Once the HTTP server is gone: stops the relay thread and frees what is left; NULL-safe. */
void tunnels_free(struct tunnels *rl);

/*
 * Opens a tunnel for r (through kfdash_of(r)->tunnels) to url (http://host:port/...), sending head
 * (the upgrade request's complete head, CRLFs included) once connected. Replies to r: the
 * upstream's 101, or its refusal, or 502/504. idle_s: a tunnel silent this long is closed.
 */
void tunnel_open(struct http_request *r, const char *url, const char *head, long idle_s);
