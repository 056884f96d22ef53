//! sRGB ↔ linear light by table: mixing and lighting happen in linear light, where "half as much
//! light" means half the value, and tables keep it exact and the same on every platform.

use std::sync::OnceLock;

/// Entries of the linear → sRGB table (12 bits: finer than 8-bit sRGB needs at the dark end).
const LINEAR_STEPS: usize = 4096;

fn to_linear_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0.0; 256];
        for (i, entry) in table.iter_mut().enumerate() {
            let c = i as f64 / 255.0;
            let linear = if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
            *entry = linear as f32;
        }
        table
    })
}

fn to_srgb_table() -> &'static [u8; LINEAR_STEPS + 1] {
    static TABLE: OnceLock<[u8; LINEAR_STEPS + 1]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u8; LINEAR_STEPS + 1];
        for (i, entry) in table.iter_mut().enumerate() {
            let l = i as f64 / LINEAR_STEPS as f64;
            let c = if l <= 0.003_130_8 {
                l * 12.92
            } else {
                1.055 * l.powf(1.0 / 2.4) - 0.055
            };
            *entry = (c * 255.0).round().clamp(0.0, 255.0) as u8;
        }
        table
    })
}

/// An sRGB byte in linear light, 0..=1.
pub fn srgb_to_linear(value: u8) -> f32 {
    to_linear_table()[usize::from(value)]
}

/// Linear light (clamped to 0..=1) as an sRGB byte.
pub fn linear_to_srgb(value: f32) -> u8 {
    // + 0.5 and truncate: round() is a libm call on baseline x86-64.
    let index = (value.clamp(0.0, 1.0) * LINEAR_STEPS as f32 + 0.5) as usize;
    to_srgb_table()[index.min(LINEAR_STEPS)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_survives_the_round_trip() {
        for byte in 0..=255u8 {
            assert_eq!(linear_to_srgb(srgb_to_linear(byte)), byte);
        }
        assert_eq!(linear_to_srgb(-1.0), 0);
        assert_eq!(linear_to_srgb(7.0), 255);
    }
}
