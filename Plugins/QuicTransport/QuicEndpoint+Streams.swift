import CNgtcp2
import PluginAPI

/// The vtable's stream and connection operations. Each runs under the lock and wakes the I/O
/// thread to send what it queued.
extension QuicEndpoint {
    func openStream(on handle: UInt64, protocolName: String) throws -> UInt64 {
        let tag = Array(protocolName.utf8)
        guard tag.count <= 255 else {
            throw PluginFailure(CSYNC_ERR_INVALID, "stream protocol tag is \(tag.count) bytes; at most 255 are allowed")
        }
        guard let connection = connections[handle], connection.reported, !connection.closed else {
            throw PluginFailure(CSYNC_ERR_NOT_FOUND, "no open connection \(handle)")
        }
        let stream = QuicStream(handle: makeHandle(), connection: connection, remote: false)
        // The tag travels as the stream's first bytes: one length byte, then the name.
        let header = [UInt8(tag.count)] + tag
        header.withUnsafeBytes { stream.send.append($0) }
        streams[stream.handle] = stream
        connection.waitingForID.append(stream)
        connection.openWaitingStreams()
        wake()
        return stream.handle
    }

    func write(_ handle: UInt64, _ data: UnsafeRawBufferPointer, fin: Bool) -> Int64 {
        guard let stream = streams[handle] else { return Int64(CSYNC_ERR_CLOSED.rawValue) }
        guard !stream.dead, !stream.connection.closed else { return Int64(CSYNC_ERR_CLOSED.rawValue) }
        guard !stream.finRequested else { return Int64(CSYNC_ERR_INVALID.rawValue) }
        let room = max(0, settings.sendBufferBytes - stream.send.buffered)
        let accepted = min(room, data.count)
        if accepted > 0 { stream.send.append(UnsafeRawBufferPointer(rebasing: data[..<accepted])) }
        if accepted < data.count {
            stream.wantsWritable = true
        } else if fin {
            stream.finRequested = true
        }
        if accepted > 0 || stream.finRequested {
            stream.connection.enqueue(stream)
            wake()
        }
        return Int64(accepted)
    }

    func consume(_ handle: UInt64, _ count: Int) {
        guard let stream = streams[handle], stream.id >= 0, !stream.connection.closed else { return }
        let granted = min(count, stream.unconsumed)
        guard granted > 0 else { return }
        stream.unconsumed -= granted
        ngtcp2_conn_extend_max_stream_offset(stream.connection.conn, stream.id, UInt64(granted))
        ngtcp2_conn_extend_max_offset(stream.connection.conn, UInt64(granted))
        wake()
    }

    func resetStream(_ handle: UInt64, code: UInt64) throws {
        guard let stream = streams[handle] else {
            throw PluginFailure(CSYNC_ERR_NOT_FOUND, "no open stream \(handle)")
        }
        let connection = stream.connection
        stream.dead = true
        connection.dequeue(stream)
        if stream.id >= 0 && !connection.closed {
            _ = ngtcp2_conn_shutdown_stream(connection.conn, stream.id, code)
            connection.releaseCredit(of: stream)
        } else {
            connection.waitingForID.removeAll { $0 === stream }
            streams[handle] = nil
            stream.send.release()
        }
        wake()
    }

    func closeConnection(_ handle: UInt64, code: UInt64, reason: String) throws {
        guard let connection = connections[handle], connection.reported else {
            throw PluginFailure(CSYNC_ERR_NOT_FOUND, "no open connection \(handle)")
        }
        terminate(connection, code: Int32(truncatingIfNeeded: code), reason: reason.isEmpty ? "closed locally" : reason,
                  close: .application(code, reason))
    }

    func info(_ handle: UInt64, into out: UnsafeMutablePointer<csync_connection_info>) throws {
        guard let connection = connections[handle], connection.reported, let peer = connection.peerID else {
            throw PluginFailure(CSYNC_ERR_NOT_FOUND, "no open connection \(handle)")
        }
        var stat = ngtcp2_conn_stat()
        ngtcp2_conn_get_conn_stat_versioned(connection.conn, NGTCP2_CONN_STAT_VERSION, &stat)
        var info = csync_connection_info()
        info.struct_size = UInt32(MemoryLayout<csync_connection_info>.size)
        withUnsafeMutableBytes(of: &info.peer_id) { $0.copyBytes(from: peer) }
        let address = Array(connection.remoteAddress.text.utf8.prefix(63)) + [0]
        withUnsafeMutableBytes(of: &info.remote_addr) { $0.copyBytes(from: address) }
        info.rtt_us = stat.smoothed_rtt / 1000
        info.bytes_sent = connection.bytesSent
        info.bytes_received = connection.bytesReceived
        out.pointee = info
    }
}
