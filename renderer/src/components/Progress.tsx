/** A visible, announced progress indicator for every wait (busy, payment, reading, writing). */
export function Progress({ label }: { label: string }) {
  return (
    <div className="progress" role="status" aria-live="polite" data-testid="progress">
      <span className="spinner" aria-hidden="true" />
      <span className="progress-bar" role="progressbar" aria-label={label} aria-busy="true">
        <span className="progress-bar-fill" />
      </span>
      <span className="progress-label">{label}</span>
    </div>
  );
}
