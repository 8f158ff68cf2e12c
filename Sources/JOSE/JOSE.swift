public enum JOSEModule {}
