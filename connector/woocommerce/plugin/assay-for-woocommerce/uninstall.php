<?php
/**
 * Uninstall: tell Assay to forget the store, revoke its key here, and remove every option of the plugin.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-assay-settings.php';
require_once __DIR__ . '/includes/class-assay-client.php';
require_once __DIR__ . '/includes/class-assay-admin.php';

Assay_Admin::forget_connection();
