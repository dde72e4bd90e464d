// QuicTransport
