public enum JunctionVersion { public static let current = "0.1.0" }
