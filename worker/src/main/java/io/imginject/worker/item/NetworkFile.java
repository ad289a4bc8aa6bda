package io.imginject.worker.item;

import io.imginject.worker.guest.GuestPath;

/**
 * A network configuration file as a renderer makes it.
 *
 * @param path where it goes in the guest
 * @param content its text
 * @param mode its permission bits (NetworkManager and netplan refuse files others can read)
 */
record NetworkFile(GuestPath path, String content, int mode) {}
