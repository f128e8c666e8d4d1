export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { schedules, type LearningRateSchedule, type PeakedSchedule } from './schedules.js';
