#define _GNU_SOURCE  // POLLRDHUP
#include "CMicroHTTPDShims.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <string.h>

const ssize_t MVS_MHD_END_OF_STREAM = MHD_CONTENT_READER_END_OF_STREAM;
const ssize_t MVS_MHD_END_WITH_ERROR = MHD_CONTENT_READER_END_WITH_ERROR;
const uint64_t MVS_MHD_SIZE_UNKNOWN = MHD_SIZE_UNKNOWN;
const int MVS_MHD_CONNECTION_STARTED = MHD_CONNECTION_NOTIFY_STARTED;

struct MHD_Daemon *mvs_mhd_start(uint32_t ipv4_address, uint16_t port,
                                 MHD_AccessHandlerCallback handler, void *handler_context,
                                 MHD_RequestCompletedCallback completed, void *completed_context,
                                 unsigned int connection_memory_limit,
                                 unsigned int connection_timeout_seconds,
                                 unsigned int connection_limit,
                                 MHD_NotifyConnectionCallback notify, void *notify_context) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = ipv4_address;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ITC;
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)connection_memory_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_NOTIFY_CONNECTION, notify, notify_context,
                            MHD_OPTION_END);
}

uint16_t mvs_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

uint32_t mvs_mhd_client_ipv4(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr || info->client_addr->sa_family != AF_INET) return 0;
    return ((const struct sockaddr_in *)info->client_addr)->sin_addr.s_addr;
}

int mvs_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? (int)info->connect_fd : -1;
}

int mvs_socket_peer_closed(int fd) {
    if (fd < 0) return 0;
    struct pollfd probe = { .fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0 };
    if (poll(&probe, 1, 0) <= 0) return 0;
    if (probe.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return 1;
    if (probe.revents & POLLIN) {
        // Readable: either more request bytes (not expected on a stream) or end of file.
        char byte;
        return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    }
    return 0;
}

void mvs_socket_shutdown(int fd) {
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
}
