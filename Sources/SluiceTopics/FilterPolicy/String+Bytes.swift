extension String {
    /// Byte-wise equality: AWS compares UTF-8 bytes, not canonically equivalent text.
    func bytesEqual(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    func bytesHavePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    func bytesHaveSuffix(_ suffix: String) -> Bool {
        let mine = utf8, theirs = suffix.utf8
        guard theirs.count <= mine.count else { return false }
        return mine.dropFirst(mine.count - theirs.count).elementsEqual(theirs)
    }
}
