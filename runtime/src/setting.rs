//! Settings an installation makes process-wide for what is recorded (the value
//! length limit, `rpc/dup`): what the installed configuration says, else what the
//! environment says, read the first time one is needed (a test capture, an
//! application's own provider under `use_global_provider`).

use std::sync::atomic::{AtomicUsize, Ordering};

/// A setting's value, kept in one atomic word.
pub(crate) trait SettingValue: Copy {
    fn to_word(self) -> usize;
    fn from_word(word: usize) -> Self;
}

/// The word of a setting neither installed nor read from the environment yet.
const UNKNOWN: usize = usize::MAX;

impl SettingValue for bool {
    fn to_word(self) -> usize {
        usize::from(self)
    }

    fn from_word(word: usize) -> Self {
        word != 0
    }
}

/// A limit, or none: a limit as large as the words left is none.
impl SettingValue for Option<usize> {
    fn to_word(self) -> usize {
        self.unwrap_or(NO_LIMIT).min(NO_LIMIT)
    }

    #[inline]
    fn from_word(word: usize) -> Self {
        (word != NO_LIMIT).then_some(word)
    }
}

const NO_LIMIT: usize = UNKNOWN - 1;

/// One setting: the installed configuration's, else the environment's.
pub(crate) struct InstalledSetting<T> {
    word: AtomicUsize,
    from_env: fn() -> T,
}

impl<T: SettingValue> InstalledSetting<T> {
    pub(crate) const fn new(from_env: fn() -> T) -> Self {
        InstalledSetting {
            word: AtomicUsize::new(UNKNOWN),
            from_env,
        }
    }

    /// The setting in force. Inlined: once known, it is one load and a
    /// comparison.
    #[inline]
    pub(crate) fn get(&self) -> T {
        match self.word.load(Ordering::Relaxed) {
            UNKNOWN => self.read_from_env(),
            word => T::from_word(word),
        }
    }

    /// The environment's value, kept unless an installation set one meanwhile
    /// (a value recorded while `init()` runs): then that one is in force.
    #[cold]
    fn read_from_env(&self) -> T {
        let from_env = (self.from_env)().to_word();
        match self
            .word
            .compare_exchange(UNKNOWN, from_env, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => T::from_word(from_env),
            Err(installed) => T::from_word(installed),
        }
    }

    /// What an installation's configuration says, as it is installed (a span
    /// opened across the moment may follow either).
    pub(crate) fn install(&self, value: T) {
        self.word.store(value.to_word(), Ordering::Relaxed);
    }

    /// Forgets what an installation said: the environment says it again.
    pub(crate) fn forget(&self) {
        self.word.store(UNKNOWN, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::InstalledSetting;

    static LIMIT: InstalledSetting<Option<usize>> = InstalledSetting::new(|| Some(7));
    static FLAG: InstalledSetting<bool> = InstalledSetting::new(|| true);

    #[test]
    fn the_environment_says_until_an_installation_does_and_again_once_forgotten() {
        assert_eq!(LIMIT.get(), Some(7));
        LIMIT.install(None);
        assert_eq!(LIMIT.get(), None);
        LIMIT.install(Some(3));
        assert_eq!(LIMIT.get(), Some(3));
        LIMIT.install(Some(usize::MAX));
        assert_eq!(LIMIT.get(), None, "a limit past any length is none");
        LIMIT.forget();
        assert_eq!(LIMIT.get(), Some(7));

        assert!(FLAG.get());
        FLAG.install(false);
        assert!(!FLAG.get());
        FLAG.forget();
        assert!(FLAG.get());
    }
}
