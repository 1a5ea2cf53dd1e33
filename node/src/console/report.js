// Report an incident from the console, as a call-taker would: what (kind,
// priority, words), where (a street or place found by name, as the caller
// says it), and how it came in. POST /v1/incidents as the logged-in
// principal; the new incident opens in the drawer.

import { el, words } from './format.js';
import { Search } from './search.js';

/** The kinds the API takes, most frequent first. */
const KINDS = ['theft', 'disturbance', 'medical', 'assault', 'traffic_accident', 'missing_person', 'crowd_crush',
  'fire', 'suspicious_object', 'extreme_act', 'hazard', 'other'];
const CHANNELS = ['emergency_call', 'community_report', 'risk_warning', 'partner_feed'];
const DEFAULT_PRIORITY = 5;

export class ReportForm {
  /**
   * `places()` answers {streets, district} for the place search;
   * `report(body)` posts it and resolves to the answer; `reported(id)`
   * opens the new incident.
   */
  constructor(root, places, report, reported) {
    this.report = report;
    this.reported = reported;
    this.place = null; // a search result with lat and lon
    this.kind = el('select', { id: 'report-kind', 'aria-label': 'Kind' }, ...KINDS.map((kind) => el('option', { value: kind, text: words(kind) })));
    this.priority = el('input', { id: 'report-priority', type: 'number', min: 0, max: 10, value: DEFAULT_PRIORITY, 'aria-label': 'Priority 0 to 10' });
    this.channel = el('select', { id: 'report-channel', 'aria-label': 'Channel' }, ...CHANNELS.map((channel) => el('option', { value: channel, text: words(channel) })));
    this.where = el('input', { id: 'report-place', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'where: a street or place' });
    const results = el('ul', { id: 'report-place-results', class: 'search-results', role: 'listbox', hidden: true });
    this.chosen = el('p', { id: 'report-place-chosen', class: 'muted', text: 'No place chosen yet.' });
    this.description = el('textarea', { id: 'report-description', rows: 2, maxlength: 2000, placeholder: 'what the caller says' });
    this.button = el('button', { type: 'submit', id: 'report-submit', class: 'primary', text: 'Report' });
    this.outcome = el('p', { id: 'report-result', class: 'muted', role: 'status' });
    new Search(this.where, results, () => ({ ...places(), incidents: [], units: [] }), (result) => this.choose(result));
    const form = el('form', { id: 'report-form', autocomplete: 'off' },
      el('div', { class: 'report-row' }, this.kind, el('label', {}, 'priority ', this.priority), this.channel),
      el('div', { class: 'report-place' }, this.where, results),
      this.chosen, this.description,
      el('div', { class: 'report-row' }, this.button, this.outcome));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    root.append(form);
  }

  choose(result) {
    this.place = result;
    this.where.value = result.label;
    this.chosen.textContent = `At ${result.label} (${result.lat.toFixed(5)}, ${result.lon.toFixed(5)}).`;
  }

  async submit() {
    if (!this.place) {
      this.say('failed', 'Choose where first: type a street or place and pick it from the list.');
      return;
    }
    const body = {
      kind: this.kind.value,
      priority: Number(this.priority.value),
      channel: this.channel.value,
      lat: this.place.lat,
      lon: this.place.lon,
      description: this.description.value.trim() || undefined,
    };
    this.button.disabled = true;
    this.say('pending', 'reporting…');
    try {
      const answer = await this.report(body);
      this.say('done', `Reported ${answer.incident_id} at log index ${answer.log_index}.`);
      this.description.value = '';
      this.reported(answer.incident_id);
    } catch (error) {
      this.say('failed', error.message);
    } finally {
      this.button.disabled = false;
    }
  }

  say(state, message) {
    this.outcome.textContent = message;
    this.outcome.className = state === 'failed' ? 'error' : 'muted';
    this.outcome.dataset.state = state;
  }
}
