<?php
/**
 * The customer's request form: a My Account endpoint on each order, and the [assay_request_form] shortcode.
 *
 * It posts server-side to Assay's storefront form (the order number, billing email and order key come from the
 * order, never from the customer) with the form's request key, and shows Assay's answer.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The form, its handling and Assay's answer.
 */
class Assay_Request_Form {
	const ENDPOINT    = 'assay-request';
	const ANSWER_META = '_assay_request_answer_url';
	const KINDS       = array( 'cancel', 'return', 'claim', 'warranty' );
	const REASONS     = array( 'changed_mind', 'wrong_size', 'damaged_in_transit', 'defective', 'wrong_item', 'not_as_described', 'other' );

	/**
	 * How many times to ask Assay for the decision after sending (a second apart).
	 *
	 * @var int
	 */
	public $answer_attempts = 3;

	/**
	 * The page each order's post produced in this request, so that it is sent to Assay once however often it renders.
	 *
	 * @var array<int, string>
	 */
	private $sent_pages = array();

	/**
	 * Hook the endpoint, the order action and the shortcode.
	 */
	public function register(): void {
		add_action( 'init', array( __CLASS__, 'add_endpoint' ) );
		add_filter( 'woocommerce_get_query_vars', array( $this, 'query_vars' ) );
		add_filter( 'woocommerce_my_account_my_orders_actions', array( $this, 'order_action' ), 10, 2 );
		add_action( 'woocommerce_account_' . self::ENDPOINT . '_endpoint', array( $this, 'endpoint' ) );
		add_filter( 'woocommerce_endpoint_' . self::ENDPOINT . '_title', array( $this, 'title' ) );
		add_shortcode( 'assay_request_form', array( $this, 'shortcode' ) );
	}

	/**
	 * The endpoint's rewrite rule.
	 */
	public static function add_endpoint(): void {
		add_rewrite_endpoint( self::ENDPOINT, EP_ROOT | EP_PAGES );
	}

	/**
	 * On activation: the rewrite rule, flushed once.
	 */
	public static function activate(): void {
		self::add_endpoint();
		flush_rewrite_rules();
	}

	/**
	 * WooCommerce's account query vars, with ours.
	 *
	 * @param array<string, string> $vars The query vars.
	 * @return array<string, string>
	 */
	public function query_vars( array $vars ): array {
		$vars[ self::ENDPOINT ] = self::ENDPOINT;
		return $vars;
	}

	/**
	 * "Request a return or cancellation" beside each order in My Account › Orders.
	 *
	 * @param array<string, array<string, string>> $actions The order's actions.
	 * @param WC_Order                             $order   The order.
	 * @return array<string, array<string, string>>
	 */
	public function order_action( array $actions, $order ): array {
		$actions['assay_request'] = array(
			'url'  => wc_get_endpoint_url( self::ENDPOINT, (string) $order->get_id(), wc_get_page_permalink( 'myaccount' ) ),
			'name' => $this->title(),
		);
		return $actions;
	}

	/**
	 * The endpoint's page title (else My Account's) and the order action's label.
	 */
	public function title(): string {
		return __( 'Request a return or cancellation', 'assay-for-woocommerce' );
	}

	/**
	 * My Account › assay-request/<order id>.
	 *
	 * @param string $order_id The endpoint's value.
	 */
	public function endpoint( $order_id ): void {
		echo $this->page( (int) $order_id ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- page() escapes every part.
	}

	/**
	 * [assay_request_form order="123"], or the order in ?order_id= (a guest adds ?key=<order key>).
	 *
	 * @param array<string, string>|string $atts The shortcode's attributes.
	 */
	public function shortcode( $atts ): string {
		$atts = shortcode_atts( array( 'order' => '' ), is_array( $atts ) ? $atts : array(), 'assay_request_form' );
		$id   = '' !== $atts['order'] ? $atts['order'] : sanitize_text_field( wp_unslash( $_GET['order_id'] ?? '' ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		return $this->page( absint( $id ) );
	}

	/**
	 * The page for one order: Assay's answer after a post, else the form.
	 *
	 * @param int $order_id The order.
	 */
	public function page( int $order_id ): string {
		$order = $order_id > 0 ? wc_get_order( $order_id ) : false;
		if ( ! $order || ! $this->may_ask_about( $order ) ) {
			return self::error_notice( __( 'This order could not be found.', 'assay-for-woocommerce' ) );
		}
		$method = sanitize_text_field( wp_unslash( $_SERVER['REQUEST_METHOD'] ?? '' ) );
		if ( 'POST' === $method && isset( $_POST['assay_request_nonce'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing -- posted() verifies it.
			// A block theme may render the content more than once: the request goes to Assay once.
			if ( ! isset( $this->sent_pages[ $order->get_id() ] ) ) {
				$this->sent_pages[ $order->get_id() ] = $this->posted( $order );
			}
			return $this->sent_pages[ $order->get_id() ];
		}
		$earlier = (string) $order->get_meta( self::ANSWER_META );
		if ( '' !== $earlier ) {
			$answer = Assay_Client::from_settings()->answer( $earlier );
			if ( 200 === $answer['status'] && 'decided' === ( $answer['body']['status'] ?? '' ) ) {
				return $this->answer_html( $answer['body'] ) . $this->form( $order );
			}
		}
		return $this->form( $order );
	}

	/**
	 * The page after a post: refused with the form as typed when its nonce is not this order's, else sent.
	 *
	 * @param WC_Order $order The order.
	 */
	private function posted( $order ): string {
		$posted = wp_unslash( $_POST ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified next.
		$nonce  = sanitize_text_field( (string) ( $posted['assay_request_nonce'] ?? '' ) );
		if ( ! wp_verify_nonce( $nonce, 'assay_request_' . $order->get_id() ) ) {
			return self::error_notice( __( 'This form has expired. Please send it again.', 'assay-for-woocommerce' ) ) . $this->form( $order, $posted );
		}
		return $this->handle( $order, $posted );
	}

	/**
	 * The order is the signed-in customer's, or the guest has its order key.
	 *
	 * @param WC_Order $order The order.
	 */
	private function may_ask_about( $order ): bool {
		$user = get_current_user_id();
		if ( $user > 0 && (int) $order->get_customer_id() === $user ) {
			return true;
		}
		$key = sanitize_text_field( wp_unslash( $_GET['key'] ?? '' ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		return '' !== $key && hash_equals( (string) $order->get_order_key(), $key );
	}

	/**
	 * Send the request to Assay and show its answer.
	 *
	 * @param WC_Order             $order  The order.
	 * @param array<string, mixed> $posted The posted fields, unslashed.
	 */
	public function handle( $order, array $posted ): string {
		$kind   = sanitize_key( (string) ( $posted['kind'] ?? '' ) );
		$reason = sanitize_key( (string) ( $posted['reason'] ?? '' ) );
		$lines  = array_map( 'strval', array_keys( $order->get_items() ) );
		$chosen = array_values( array_intersect( $lines, array_map( 'strval', (array) ( $posted['line_id'] ?? array() ) ) ) );
		$fields = array(
			'order_number' => (string) $order->get_order_number(),
			'email'        => (string) $order->get_billing_email(),
			'order_key'    => (string) $order->get_order_key(),
			'kind'         => in_array( $kind, self::KINDS, true ) ? $kind : '',
			'reason'       => in_array( $reason, self::REASONS, true ) ? $reason : '',
			'photos'       => min( 20, absint( $posted['photos'] ?? 0 ) ),
			'note'         => sanitize_textarea_field( (string) ( $posted['note'] ?? '' ) ),
			'line_id'      => $chosen,
		);
		$key    = self::sent_request_key( $posted );
		if ( '' !== $key ) {
			$fields['request_key'] = $key;
		}
		$client = Assay_Client::from_settings();
		$sent   = $client->submit_request( $fields );
		if ( 202 !== $sent['status'] ) {
			if ( isset( $sent['body']['fields']['request_key'] ) ) {
				unset( $posted['request_key'] ); // Assay refused the key itself: the form comes back with a new one.
			}
			return $this->refusal_html( $sent ) . $this->form( $order, $posted );
		}
		$answer_url = (string) ( $sent['body']['answer_url'] ?? '' );
		$order->update_meta_data( self::ANSWER_META, $answer_url );
		$order->save();
		for ( $attempt = 0; $attempt < $this->answer_attempts; $attempt++ ) {
			sleep( 1 );
			$answer = $client->answer( $answer_url );
			if ( 200 === $answer['status'] && 'decided' === ( $answer['body']['status'] ?? '' ) ) {
				return $this->answer_html( $answer['body'] );
			}
		}
		return '<div class="assay-request assay-received">' . wc_print_notice( esc_html__( 'We have received your request. We will email you our answer shortly, and it will show on this page.', 'assay-for-woocommerce' ), 'notice', array(), true ) . '</div>';
	}

	/**
	 * Assay's decision, in the customer's words: an approval as a success notice, anything else as an info notice.
	 *
	 * @param array<string, mixed> $body The answer's JSON.
	 */
	public function answer_html( array $body ): string {
		$outcome = (string) ( $body['outcome'] ?? '' );
		if ( 'approve' === $outcome ) {
			$head = __( 'Your request is approved.', 'assay-for-woocommerce' );
			if ( ! empty( $body['refund_total'] ) ) {
				/* translators: 1: refund amount, 2: currency code */
				$head .= ' ' . sprintf( __( 'We are refunding %1$s %2$s.', 'assay-for-woocommerce' ), (string) $body['refund_total'], (string) ( $body['currency'] ?? '' ) );
			}
		} elseif ( 'decline' === $outcome ) {
			$head = __( 'We are sorry: your request can not be accepted.', 'assay-for-woocommerce' );
		} elseif ( ! empty( $body['respond_by'] ) ) {
			$when = strtotime( (string) $body['respond_by'] );
			/* translators: %s: the date and time by which the store answers */
			$head = sprintf( __( 'A person will look at your request. We will get back to you by %s.', 'assay-for-woocommerce' ), false === $when ? (string) $body['respond_by'] : wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $when ) );
		} else {
			$head = __( 'A person will look at your request and get back to you.', 'assay-for-woocommerce' );
		}
		$text = '<p><strong>' . esc_html( $head ) . '</strong></p>';
		if ( 'review' !== $outcome ) {
			foreach ( (array) ( $body['messages'] ?? array() ) as $message ) {
				$text .= '<p>' . esc_html( (string) $message ) . '</p>';
			}
		}
		$kind = 'approve' === $outcome ? 'success' : 'notice';
		return '<div class="assay-request assay-' . esc_attr( $outcome ) . '">' . wc_print_notice( $text, $kind, array(), true ) . '</div>';
	}

	/**
	 * Why the request was not taken, as an error notice: the fields Assay named, in the form's words; Assay's reason
	 * for a request it refused; or, when Assay could not be reached or failed, that the customer may try again soon.
	 *
	 * @param array{status: int, body: array<string, mixed>} $sent Assay's answer.
	 */
	public function refusal_html( array $sent ): string {
		$fields = (array) ( $sent['body']['fields'] ?? array() );
		$detail = (string) ( $sent['body']['detail'] ?? '' );
		if ( ! self::assay_answered( $sent['status'] ) || ( array() === $fields && '' === $detail ) ) {
			return self::error_notice( __( 'We couldn\'t send your request just now; please try again in a few minutes.', 'assay-for-woocommerce' ) );
		}
		if ( array() === $fields ) {
			return self::error_notice( __( 'Your request could not be sent:', 'assay-for-woocommerce' ) . ' ' . $detail );
		}
		$labels = $this->field_labels();
		$items  = array();
		foreach ( $fields as $field => $rule ) {
			$items[] = ( $labels[ $field ] ?? (string) $field ) . ' ' . ( is_array( $rule ) ? implode( ' ', array_map( 'strval', $rule ) ) : (string) $rule );
		}
		return self::error_notice( __( 'Please check your request:', 'assay-for-woocommerce' ) . ' ' . implode( '; ', $items ) );
	}

	/**
	 * Whether an HTTP status is Assay's own answer to the request (a 4xx), not a transport error, an outage or a limit.
	 *
	 * @param int $status The status, 0 for a transport error.
	 */
	private static function assay_answered( int $status ): bool {
		return $status >= 400 && $status < 500 && 408 !== $status && 429 !== $status;
	}

	/**
	 * A WooCommerce error notice (the block theme's banner in a block theme) around plain text.
	 *
	 * @param string $text The message, not yet escaped.
	 */
	public static function error_notice( string $text ): string {
		return '<div class="assay-request assay-refused">' . wc_print_notice( esc_html( $text ), 'error', array(), true ) . '</div>';
	}

	/**
	 * The form's fields, by the names Assay gives them, in the form's own words.
	 *
	 * @return array<string, string>
	 */
	private function field_labels(): array {
		return array(
			'line_id'     => __( 'Which items?', 'assay-for-woocommerce' ),
			'kind'        => __( 'What would you like?', 'assay-for-woocommerce' ),
			'reason'      => __( 'Why?', 'assay-for-woocommerce' ),
			'photos'      => __( 'Photos you will send us', 'assay-for-woocommerce' ),
			'note'        => __( 'Anything else we should know?', 'assay-for-woocommerce' ),
			'request_key' => __( 'This form', 'assay-for-woocommerce' ),
		);
	}

	/**
	 * The form: the order's lines, kind and reason, photo count and note; filled in as posted when sent back.
	 *
	 * @param WC_Order             $order  The order.
	 * @param array<string, mixed> $posted What the customer typed, unslashed (empty for a new form).
	 */
	public function form( $order, array $posted = array() ): string {
		$kinds   = array(
			'cancel'   => __( 'Cancel the order', 'assay-for-woocommerce' ),
			'return'   => __( 'Return items', 'assay-for-woocommerce' ),
			'claim'    => __( 'Report damage or a wrong item', 'assay-for-woocommerce' ),
			'warranty' => __( 'Warranty repair', 'assay-for-woocommerce' ),
		);
		$reasons = array(
			''                   => __( 'Choose a reason', 'assay-for-woocommerce' ),
			'changed_mind'       => __( 'I changed my mind', 'assay-for-woocommerce' ),
			'wrong_size'         => __( 'Wrong size', 'assay-for-woocommerce' ),
			'damaged_in_transit' => __( 'Damaged in transit', 'assay-for-woocommerce' ),
			'defective'          => __( 'Defective', 'assay-for-woocommerce' ),
			'wrong_item'         => __( 'Wrong item', 'assay-for-woocommerce' ),
			'not_as_described'   => __( 'Not as described', 'assay-for-woocommerce' ),
			'other'              => __( 'Other', 'assay-for-woocommerce' ),
		);
		$labels  = $this->field_labels();
		$chosen  = array_map( 'strval', (array) ( $posted['line_id'] ?? array() ) );
		$row     = '<p class="woocommerce-form-row woocommerce-form-row--wide form-row form-row-wide">';
		$html    = '<form method="post" class="assay-request-form woocommerce-EditAccountForm">';
		$html   .= wp_nonce_field( 'assay_request_' . $order->get_id(), 'assay_request_nonce', true, false );
		$html   .= '<input type="hidden" name="request_key" value="' . esc_attr( self::request_key( $posted ) ) . '" />';
		/* translators: %s: order number */
		$html .= '<h3>' . esc_html( sprintf( __( 'Order #%s', 'assay-for-woocommerce' ), $order->get_order_number() ) ) . '</h3><fieldset><legend>' . esc_html( $labels['line_id'] ) . '</legend>';
		foreach ( $order->get_items() as $item_id => $item ) {
			$checked = in_array( (string) $item_id, $chosen, true ) ? ' checked="checked"' : '';
			$html   .= '<label class="woocommerce-form__label woocommerce-form__label-for-checkbox"><input type="checkbox" class="woocommerce-form__input woocommerce-form__input-checkbox" name="line_id[]" value="' . esc_attr( (string) $item_id ) . '"' . $checked . ' /> ' . esc_html( $item->get_name() ) . ' &times; ' . esc_html( (string) $item->get_quantity() ) . '</label><br />';
		}
		$html .= '</fieldset>' . $row . '<label for="assay_kind">' . esc_html( $labels['kind'] ) . '</label><select id="assay_kind" name="kind" required>' . self::options( $kinds, (string) ( $posted['kind'] ?? '' ) ) . '</select></p>';
		$html .= $row . '<label for="assay_reason">' . esc_html( $labels['reason'] ) . '</label><select id="assay_reason" name="reason">' . self::options( $reasons, (string) ( $posted['reason'] ?? '' ) ) . '</select></p>';
		$html .= $row . '<label for="assay_photos">' . esc_html( $labels['photos'] ) . '</label><input type="number" class="woocommerce-Input input-text" id="assay_photos" name="photos" min="0" max="20" value="' . esc_attr( (string) min( 20, absint( $posted['photos'] ?? 0 ) ) ) . '" /></p>';
		$html .= $row . '<label for="assay_note">' . esc_html( $labels['note'] ) . '</label><textarea class="woocommerce-Input input-text" id="assay_note" name="note" maxlength="1000" rows="4">' . esc_textarea( sanitize_textarea_field( (string) ( $posted['note'] ?? '' ) ) ) . '</textarea></p>';
		return $html . '<p><button type="submit" class="' . esc_attr( self::button_class() ) . '">' . esc_html__( 'Send request', 'assay-for-woocommerce' ) . '</button></p></form>';
	}

	/**
	 * The key a form carries to Assay: the one it was sent with when it comes back after a failed send, so that its
	 * retry is the same request even when Assay took the first sending but its answer was lost; else a new one.
	 *
	 * @param array<string, mixed> $posted What the customer sent, unslashed (empty for a new form).
	 */
	private static function request_key( array $posted ): string {
		$sent = self::sent_request_key( $posted );
		return '' !== $sent ? $sent : bin2hex( random_bytes( 16 ) );
	}

	/**
	 * The posted request key when it is one Assay takes (16 to 64 of A-Z, a-z, 0-9, '-' and '_'), else ''.
	 *
	 * @param array<string, mixed> $posted The posted fields, unslashed.
	 */
	private static function sent_request_key( array $posted ): string {
		$key = $posted['request_key'] ?? '';
		return is_string( $key ) && 1 === preg_match( '/^[A-Za-z0-9_-]{16,64}$/D', $key ) ? $key : '';
	}

	/**
	 * WooCommerce's button classes, with the block theme's element class where the theme has one.
	 */
	private static function button_class(): string {
		$theme = function_exists( 'wc_wp_theme_get_element_class_name' ) ? (string) wc_wp_theme_get_element_class_name( 'button' ) : '';
		return trim( 'woocommerce-Button button ' . $theme );
	}

	/**
	 * A select's options, the chosen one selected.
	 *
	 * @param array<string, string> $choices Value => label.
	 * @param string                $chosen  The selected value.
	 */
	private static function options( array $choices, string $chosen ): string {
		$html = '';
		foreach ( $choices as $value => $label ) {
			$html .= '<option value="' . esc_attr( (string) $value ) . '"' . selected( (string) $value, $chosen, false ) . '>' . esc_html( $label ) . '</option>';
		}
		return $html;
	}
}
