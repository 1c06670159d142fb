#pragma once
// C shims around libmicrohttpd: MHD_start_daemon and MHD_get_daemon_info are variadic, which Swift
// cannot call; these fixed-signature wrappers pass the options we use.
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Starts a daemon with its own polling thread and one thread per connection, listening on the IPv4
/// address `ipv4_address` (network byte order) and `port` (0 picks a free port).
struct MHD_Daemon *mvs_mhd_start(uint32_t ipv4_address, uint16_t port,
                                 MHD_AccessHandlerCallback handler, void *handler_context,
                                 MHD_RequestCompletedCallback completed, void *completed_context,
                                 unsigned int connection_memory_limit,
                                 unsigned int connection_timeout_seconds,
                                 unsigned int connection_limit,
                                 MHD_NotifyConnectionCallback notify, void *notify_context);

/// The port the daemon actually listens on (useful when started with port 0); 0 on failure.
uint16_t mvs_mhd_bound_port(struct MHD_Daemon *daemon);

/// The peer's IPv4 address in network byte order, or 0 when unknown / not IPv4.
uint32_t mvs_mhd_client_ipv4(struct MHD_Connection *connection);

/// The socket of a connection, or -1.
int mvs_mhd_connection_fd(struct MHD_Connection *connection);

/// 1 when the peer of a connected socket has closed or reset it (checked without blocking).
int mvs_socket_peer_closed(int fd);

/// Shuts a connection's socket down in both directions: its thread's next read sees the end and
/// libmicrohttpd closes the connection itself (the descriptor stays its to close).
void mvs_socket_shutdown(int fd);

/// Values of MHD's enum result / content-reader constants, which Swift imports awkwardly.
extern const ssize_t MVS_MHD_END_OF_STREAM;
extern const ssize_t MVS_MHD_END_WITH_ERROR;
extern const uint64_t MVS_MHD_SIZE_UNKNOWN;
extern const int MVS_MHD_CONNECTION_STARTED;
