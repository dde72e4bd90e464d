// Pkarr
