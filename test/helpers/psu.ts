export { callbackQuery, psuDecides, type PsuDecision } from '../../sandbox/psu-driver';
