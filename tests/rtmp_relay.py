"""A relay on loopback in front of FFmpeg's RTMP listener (for the stream's
tests): prints the port it listens on, answers the first connection's
handshake byte itself (the sender checks that the server answers before
FFmpeg connects, and FFmpeg's listener takes one connection only), then
relays the next connection to 127.0.0.1:argv[1] until either side hangs up."""

import socket
import sys
import threading


def relay(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main() -> None:
    target = int(sys.argv[1])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    print(server.getsockname()[1], flush=True)
    check, _ = server.accept()
    check.recv(1537)
    check.sendall(b"\x03")   # S0: RTMP version 3
    check.close()
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target))
    back = threading.Thread(target=relay, args=(upstream, client))
    back.start()
    relay(client, upstream)
    back.join()


if __name__ == "__main__":
    main()
