import type { Locale } from '../bridge/contract.js';

/** Decorative flags (the language name is always written next to them). */
export function Flag({ locale }: { locale: Locale }) {
  const common = { width: 36, height: 24, viewBox: '0 0 60 40', 'aria-hidden': true as const, focusable: false as const };
  switch (locale) {
    case 'nl':
      return (
        <svg {...common} className="flag">
          <rect width="60" height="40" fill="#21468B" />
          <rect width="60" height="26.7" fill="#FFFFFF" />
          <rect width="60" height="13.3" fill="#AE1C28" />
        </svg>
      );
    case 'de':
      return (
        <svg {...common} className="flag">
          <rect width="60" height="40" fill="#FFCE00" />
          <rect width="60" height="26.7" fill="#DD0000" />
          <rect width="60" height="13.3" fill="#000000" />
        </svg>
      );
    case 'fr':
      return (
        <svg {...common} className="flag">
          <rect width="60" height="40" fill="#ED2939" />
          <rect width="40" height="40" fill="#FFFFFF" />
          <rect width="20" height="40" fill="#002395" />
        </svg>
      );
    case 'en':
      return (
        <svg {...common} className="flag">
          <rect width="60" height="40" fill="#012169" />
          <path d="M0,0 L60,40 M60,0 L0,40" stroke="#FFFFFF" strokeWidth="8" />
          <path d="M0,0 L60,40 M60,0 L0,40" stroke="#C8102E" strokeWidth="3" />
          <path d="M30,0 V40 M0,20 H60" stroke="#FFFFFF" strokeWidth="12" />
          <path d="M30,0 V40 M0,20 H60" stroke="#C8102E" strokeWidth="7" />
        </svg>
      );
  }
}
