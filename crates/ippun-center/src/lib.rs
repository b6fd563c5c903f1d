//! The ippun authentication center.
//!
//! This crate will hold the center that provisions, renews and corrects
//! tokens and verifies codes for the bank's web site. It holds no
//! code yet; it is part of the workspace so that the crate layout is fixed.
