// TicketDiscovery
