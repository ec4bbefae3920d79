import { useId, type FormEvent } from 'react';

interface SearchFormProps {
  label: string;
  hint?: string;
  /** The text to search for; '' for everything. */
  onSearch(text: string): void;
}

/** A search box that searches on Enter or with its button (one call per search, not per key). */
export function SearchForm({ label, hint, onSearch }: SearchFormProps) {
  const id = useId();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onSearch(String(new FormData(event.currentTarget).get('search') ?? ''));
  }
  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor={id}>{label}</label>
      <input id={id} name="search" type="search" aria-describedby={hint ? `${id}-hint` : undefined} />
      <button type="submit" className="button secondary">
        Search
      </button>
      {hint && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
    </form>
  );
}
