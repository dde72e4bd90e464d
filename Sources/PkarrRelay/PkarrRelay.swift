// PkarrRelay
