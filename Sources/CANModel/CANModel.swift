// CANModel
