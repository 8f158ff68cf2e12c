import IdP

/// The seeded PRNG the fuzz and garbage tests use, so a failing case replays identically. It is
/// the product's own generator (the one `--seed` drives), not a copy.
package typealias SplitMix64 = SeededGenerator
