// PkarrTests
