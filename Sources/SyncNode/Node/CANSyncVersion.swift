/// The version of CAN Sync this build is.
public enum CANSyncVersion {
    public static let current = "0.1.0"
}
