import CImageCodecs

/// Which HEIF codecs the linked libheif decodes. Debian 12's libheif1 (1.15) has libde265 (HEVC)
/// and dav1d/aom (AV1) built in; later Debian releases ship them as separate plugin packages
/// (libheif-plugin-libde265, libheif-plugin-dav1d), loaded when libheif initialises.
public enum HEIFSupport {
    public static var decodesHEIC: Bool { cic_heif_can_decode(0) != 0 }
    public static var decodesAVIF: Bool { cic_heif_can_decode(1) != 0 }

    /// Whether files of `format` decode on this machine (always true for the non-HEIF formats).
    public static func canDecode(_ format: ImageFormat) -> Bool {
        switch format {
        case .heif: return decodesHEIC
        case .avif: return decodesAVIF
        default: return true
        }
    }
}
