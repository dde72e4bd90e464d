// QuicTransportTests
